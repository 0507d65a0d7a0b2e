package io.github.vaultdatasource.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import io.github.vaultdatasource.DatabaseCredentials;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link CredentialTrackingDataSource} over a {@link FakeDatabase}.
 */
class CredentialTrackingDataSourceTests {

	private static final DatabaseCredentials FIRST = new DatabaseCredentials("v-app-1", "first-secret");

	private static final DatabaseCredentials SECOND = new DatabaseCredentials("v-app-2", "second-secret");

	@AutoClose
	private final FakeDatabase database;

	private final CredentialTrackingDataSource dataSource;

	CredentialTrackingDataSourceTests() throws SQLException {
		this.database = new FakeDatabase();
		this.database.accept(FIRST);
		this.database.accept(SECOND);
		Properties properties = new Properties();
		properties.setProperty("ApplicationName", "orders");
		this.dataSource = new CredentialTrackingDataSource(this.database.url(), null, properties,
				getClass().getClassLoader());
	}

	@Test
	void logsInWithTheCredentialsHikariPassesAndTheDriverProperties() throws SQLException {
		this.dataSource.setLoginTimeout(7);
		try (Connection connection = login(FIRST)) {
			Properties login = this.database.lastLogin();
			assertThat(login.getProperty("user")).isEqualTo(FIRST.username());
			assertThat(login.getProperty("password")).isEqualTo(FIRST.password());
			assertThat(login.getProperty("ApplicationName")).isEqualTo("orders");
			assertThat(login.getProperty("loginTimeout")).isEqualTo("7");
		}
	}

	@Test
	void refusesALoginWithoutCredentialsSinceOnlyVaultHasThem() {
		assertThatExceptionOfType(SQLFeatureNotSupportedException.class).isThrownBy(this.dataSource::getConnection);
		assertThat(this.database.logins()).isZero();
	}

	@Test
	void tracksOpenConnectionsByCredentialsSoAChangedPasswordIsAnotherGeneration() throws SQLException {
		DatabaseCredentials sameUserNewPassword = new DatabaseCredentials(FIRST.username(), "rotated-secret");
		this.database.accept(sameUserNewPassword);
		Connection first = login(FIRST);
		Connection second = login(FIRST);
		Connection rotated = login(sameUserNewPassword);
		assertThat(this.dataSource.openConnections(FIRST)).isEqualTo(2);
		assertThat(this.dataSource.openConnections(sameUserNewPassword)).isEqualTo(1);
		first.close();
		assertThat(this.dataSource.openConnections(FIRST)).isEqualTo(1);
		second.close();
		rotated.close();
		assertThat(this.dataSource.openConnections(FIRST)).isZero();
		assertThat(this.dataSource.openConnections(sameUserNewPassword)).isZero();
	}

	@Test
	void directConnectionsForValidationAreNotTracked() throws SQLException {
		try (Connection connection = this.dataSource.openDirect(FIRST)) {
			assertThat(connection.isClosed()).isFalse();
			assertThat(this.dataSource.openConnections(FIRST)).isZero();
		}
	}

	@Test
	void countsALoginAsInFlightUntilTheDatabaseAnswers() throws Exception {
		this.database.holdLogins(FIRST.username());
		CompletableFuture<Connection> login = CompletableFuture.supplyAsync(() -> loginUnchecked(FIRST));
		await().atMost(Duration.ofSeconds(10)).until(() -> this.database.heldLogins(FIRST.username()) == 1);
		assertThat(this.dataSource.loginsInFlight(FIRST)).isEqualTo(1);
		assertThat(this.dataSource.loginsInFlight(SECOND)).isZero();
		assertThat(this.dataSource.openConnections(FIRST)).isZero();
		this.database.releaseLogins();
		try (Connection connection = login.get()) {
			assertThat(this.dataSource.loginsInFlight(FIRST)).isZero();
			assertThat(this.dataSource.openConnections(FIRST)).isEqualTo(1);
		}
	}

	@Test
	void aFailedLoginIsNotLeftInFlight() {
		this.database.refuse(FIRST);
		assertThatExceptionOfType(SQLException.class).isThrownBy(() -> login(FIRST));
		assertThat(this.dataSource.loginsInFlight(FIRST)).isZero();
		assertThat(this.dataSource.openConnections(FIRST)).isZero();
	}

	@Test
	void tellsWhetherAConnectionWasOpenedSinceAPointInTime() throws SQLException {
		try (Connection before = login(FIRST)) {
			long switchedAt = System.nanoTime();
			assertThat(this.dataSource.openedSince(FIRST, switchedAt)).isFalse();
			try (Connection after = login(FIRST)) {
				assertThat(this.dataSource.openedSince(FIRST, switchedAt)).isTrue();
				assertThat(this.dataSource.openedSince(SECOND, switchedAt)).isFalse();
			}
		}
	}

	@Test
	void handsAStashedConnectionToTheNextLoginWithTheSameCredentials() throws SQLException {
		Connection opened = this.dataSource.openDirect(FIRST);
		this.dataSource.stash(FIRST, opened, Duration.ofSeconds(30));
		assertThat(this.dataSource.stashed(FIRST)).isEqualTo(1);
		try (Connection other = login(SECOND)) {
			assertThat(this.dataSource.stashed(FIRST)).isEqualTo(1);
		}
		int logins = this.database.logins();
		try (Connection taken = login(FIRST)) {
			assertThat(taken).isSameAs(opened);
			assertThat(this.database.logins()).isEqualTo(logins);
			assertThat(this.dataSource.stashed(FIRST)).isZero();
			assertThat(this.dataSource.openConnections(FIRST)).isEqualTo(1);
		}
	}

	@Test
	void neverHandsOutAStashedConnectionThatExpiredOrClosed() throws SQLException {
		Connection expired = this.dataSource.openDirect(FIRST);
		this.dataSource.stash(FIRST, expired, Duration.ZERO);
		Connection closed = this.dataSource.openDirect(FIRST);
		closed.close();
		this.dataSource.stash(FIRST, closed, Duration.ofSeconds(30));
		try (Connection connection = login(FIRST)) {
			assertThat(connection).isNotSameAs(expired).isNotSameAs(closed);
			assertThat(expired.isClosed()).as("expired stashed connection is closed").isTrue();
			assertThat(this.dataSource.stashed(FIRST)).isZero();
		}
	}

	@Test
	void discardsTheStashOfCredentialsNoLongerUsedAndOtherwiseOnlyExpiredConnections() throws SQLException {
		Connection kept = this.dataSource.openDirect(FIRST);
		this.dataSource.stash(FIRST, kept, Duration.ofSeconds(30));
		Connection expired = this.dataSource.openDirect(FIRST);
		this.dataSource.stash(FIRST, expired, Duration.ZERO);
		Connection unused = this.dataSource.openDirect(SECOND);
		this.dataSource.stash(SECOND, unused, Duration.ofSeconds(30));
		this.dataSource.discardStashed(null);
		assertThat(expired.isClosed()).isTrue();
		assertThat(kept.isClosed()).isFalse();
		assertThat(unused.isClosed()).isFalse();
		assertThat(this.dataSource.stashed(FIRST)).isEqualTo(1);
		this.dataSource.discardStashed(SECOND);
		assertThat(unused.isClosed()).isTrue();
		assertThat(this.dataSource.stashed(SECOND)).isZero();
		assertThat(kept.isClosed()).isFalse();
		assertThat(this.database.open()).isEqualTo(1);
	}

	@Test
	void aRefusedLoginIsReportedAndRetriedOnceWithReplacementCredentials() throws SQLException {
		this.database.refuse(FIRST);
		List<String> refusals = new CopyOnWriteArrayList<>();
		this.dataSource.onLoginFailure((credentials, sqlState) -> {
			refusals.add(credentials.username() + " " + sqlState);
			return SECOND;
		});
		try (Connection connection = login(FIRST)) {
			assertThat(refusals).containsExactly("v-app-1 28P01");
			assertThat(this.dataSource.openConnections(SECOND)).isEqualTo(1);
			assertThat(this.dataSource.openConnections(FIRST)).isZero();
		}
	}

	@Test
	void aRefusedLoginFailsWhenThereAreNoOtherCredentials() {
		this.database.refuse(FIRST);
		List<String> refusals = new CopyOnWriteArrayList<>();
		this.dataSource.onLoginFailure((credentials, sqlState) -> {
			refusals.add(sqlState);
			return null;
		});
		assertThatExceptionOfType(SQLException.class).isThrownBy(() -> login(FIRST))
			.satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo("28P01"));
		this.dataSource.onLoginFailure((credentials, sqlState) -> {
			refusals.add(sqlState);
			return credentials;
		});
		assertThatExceptionOfType(SQLException.class).isThrownBy(() -> login(FIRST));
		assertThat(refusals).as("one attempt each, no retry with the same credentials")
			.containsExactly("28P01", "28P01");
	}

	@Test
	void showsTheUrlButNeverAPassword() throws SQLException {
		try (Connection connection = login(FIRST)) {
			assertThat(this.dataSource).hasToString("CredentialTrackingDataSource[" + this.database.url() + "]");
			assertThat(this.dataSource.unwrap(CredentialTrackingDataSource.class)).isSameAs(this.dataSource);
		}
	}

	private Connection login(DatabaseCredentials credentials) throws SQLException {
		return this.dataSource.getConnection(credentials.username(), credentials.password());
	}

	private Connection loginUnchecked(DatabaseCredentials credentials) {
		try {
			return login(credentials);
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
