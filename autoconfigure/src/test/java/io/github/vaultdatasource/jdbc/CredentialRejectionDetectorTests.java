package io.github.vaultdatasource.jdbc;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import com.zaxxer.hikari.SQLExceptionOverride;
import com.zaxxer.hikari.SQLExceptionOverride.Override;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link CredentialRejectionDetector}.
 */
class CredentialRejectionDetectorTests {

	private final List<String> told = new ArrayList<>();

	@Test
	void permissionDeniedEvictsTheConnectionAndAsksForACheck() {
		CredentialRejectionDetector detector = detector(null, true);
		assertThat(detector.adjudicate(sqlError("42501"))).isEqualTo(Override.MUST_EVICT);
		assertThat(this.told).containsExactly("permission denied");
	}

	@Test
	void permissionDeniedLeavesTheConnectionToHikariWhenEvictionIsOff() {
		CredentialRejectionDetector detector = detector(null, false);
		assertThat(detector.adjudicate(sqlError("42501"))).isEqualTo(Override.CONTINUE_EVICT);
		assertThat(this.told).containsExactly("permission denied");
	}

	@Test
	void aSessionEndedByAnAdministratorAsksForACheckAndLetsHikariEvict() {
		CredentialRejectionDetector detector = detector(null, true);
		assertThat(detector.adjudicate(sqlError("57P01"))).isEqualTo(Override.CONTINUE_EVICT);
		assertThat(this.told).containsExactly("terminated");
	}

	@Test
	void otherErrorsAreLeftToHikari() {
		CredentialRejectionDetector detector = detector(null, true);
		assertThat(detector.adjudicate(sqlError("28P01"))).isEqualTo(Override.CONTINUE_EVICT);
		assertThat(detector.adjudicate(sqlError("08006"))).isEqualTo(Override.CONTINUE_EVICT);
		assertThat(detector.adjudicate(sqlError("23505"))).isEqualTo(Override.CONTINUE_EVICT);
		assertThat(detector.adjudicate(sqlError(null))).isEqualTo(Override.CONTINUE_EVICT);
		assertThat(this.told).isEmpty();
	}

	@Test
	void theApplicationsOwnOverrideIsAskedFirstAndItsDecisionKept() {
		List<String> asked = new ArrayList<>();
		SQLExceptionOverride keepConnections = new SQLExceptionOverride() {

			@java.lang.Override
			public Override adjudicate(SQLException ex) {
				asked.add(ex.getSQLState());
				return Override.DO_NOT_EVICT;
			}

		};
		CredentialRejectionDetector detector = detector(keepConnections, true);
		assertThat(detector.adjudicate(sqlError("42501"))).isEqualTo(Override.DO_NOT_EVICT);
		assertThat(detector.adjudicate(sqlError("57P01"))).isEqualTo(Override.DO_NOT_EVICT);
		assertThat(detector.adjudicate(sqlError("08006"))).isEqualTo(Override.DO_NOT_EVICT);
		assertThat(asked).containsExactly("42501", "57P01", "08006");
		assertThat(this.told).containsExactly("permission denied", "terminated");
	}

	private CredentialRejectionDetector detector(SQLExceptionOverride delegate, boolean evict) {
		return new CredentialRejectionDetector(delegate, evict, () -> this.told.add("permission denied"),
				() -> this.told.add("terminated"));
	}

	private static SQLException sqlError(String sqlState) {
		return new SQLException("ERROR: from the database", sqlState);
	}

}
