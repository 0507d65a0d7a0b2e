package io.github.vaultdatasource.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariDataSource;
import io.github.vaultdatasource.DatabaseCredentials;
import io.github.vaultdatasource.jdbc.HikariCredentialRotator.RejectionListener;
import io.github.vaultdatasource.jdbc.HikariCredentialRotator.RotationSettings;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static io.github.vaultdatasource.jdbc.RotatingPool.FIRST;
import static io.github.vaultdatasource.jdbc.RotatingPool.SECOND;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link HikariCredentialRotator} on a real HikariCP pool over a {@link FakeDatabase}.
 */
@ExtendWith(OutputCaptureExtension.class)
class HikariCredentialRotatorTests {

	private static final String REFUSAL = "PostgreSQL refused connections of pool 'orders'";

	@AutoClose
	private RotatingPool fixture;

	@Test
	void theConfiguredUsernameAndPasswordAreClearedAndNeverUsed() throws SQLException {
		this.fixture = new RotatingPool(2, false);
		assertThat(this.fixture.pool.getUsername()).isNull();
		assertThat(this.fixture.pool.getPassword()).isNull();
		this.fixture.start();
		assertThat(this.fixture.database.connections())
			.allSatisfy((connection) -> assertThat(connection.credentials).isEqualTo(FIRST));
		assertThat(this.fixture.rotator.currentUsername()).isEqualTo(FIRST.username());
	}

	@Test
	void aPoolWithoutIssuedCredentialsCannotLogIn() throws SQLException {
		try (FakeDatabase database = new FakeDatabase(); HikariDataSource pool = new HikariDataSource()) {
			pool.setPoolName("orders");
			pool.setJdbcUrl(database.url());
			HikariCredentialRotator rotator = HikariCredentialRotator.attach(pool,
					new RotationSettings(Duration.ofSeconds(1), Duration.ofMillis(50), false, 2.0, Duration.ZERO, true));
			assertThat(rotator.currentUsername()).isNull();
			assertThatIllegalStateException().isThrownBy(rotator::getCredentials)
				.withMessage("No Vault-issued credentials yet for pool orders");
		}
	}

	@Test
	void validationRunsSelectOneOnAConnectionOutsideThePool() throws Exception {
		this.fixture = new RotatingPool(2, false).start();
		this.fixture.rotator.validate(SECOND);
		assertThat(this.fixture.database.statements()).containsExactly("v-app-2: SELECT 1");
		assertThat(this.fixture.database.open(SECOND)).as("validation connection closed").isZero();
		assertThat(this.fixture.poolBean().getTotalConnections()).isEqualTo(2);
		this.fixture.database.refuse(SECOND);
		assertThatExceptionOfType(SQLException.class).isThrownBy(() -> this.fixture.rotator.validate(SECOND))
			.satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo("28P01"));
	}

	@Test
	void prepareOpensAsManyConnectionsAsThePoolHoldsAndTheSwitchTakesThemWithoutLoggingIn() throws Exception {
		this.fixture = new RotatingPool(3, false).start();
		this.fixture.rotator.prepare(SECOND, Instant.now().plusSeconds(30));
		assertThat(this.fixture.database.statements()).containsExactly("v-app-2: SELECT 1");
		assertThat(this.fixture.database.open(SECOND)).isEqualTo(3);
		int logins = this.fixture.database.logins();
		RotatingPool.retire(this.fixture.rotator.switchTo(SECOND, FIRST, false), Instant.now().plusSeconds(30));
		this.fixture.awaitConnections(FIRST, 0);
		await().atMost(Duration.ofSeconds(20)).until(() -> this.fixture.poolBean().getTotalConnections() == 3);
		assertThat(this.fixture.database.open(SECOND)).isEqualTo(3);
		assertThat(this.fixture.database.logins()).as("logins after the switch").isEqualTo(logins);
	}

	@Test
	void prepareKeepsNothingOfCredentialsTheDatabaseRefuses() throws SQLException {
		this.fixture = new RotatingPool(2, false).start();
		this.fixture.database.refuse(SECOND);
		assertThatExceptionOfType(SQLException.class)
			.isThrownBy(() -> this.fixture.rotator.prepare(SECOND, Instant.now().plusSeconds(30)));
		assertThat(this.fixture.rotator.connections().stashed(SECOND)).isZero();
		assertThat(this.fixture.rotator.currentUsername()).isEqualTo(FIRST.username());
	}

	@Test
	void discardClosesTheConnectionsOpenedAheadForCredentialsNotUsedAfterAll() throws Exception {
		this.fixture = new RotatingPool(2, false).start();
		this.fixture.rotator.prepare(SECOND, Instant.now().plusSeconds(30));
		assertThat(this.fixture.database.open(SECOND)).isEqualTo(2);
		this.fixture.rotator.discard(SECOND);
		assertThat(this.fixture.database.open(SECOND)).isZero();
		assertThat(this.fixture.database.open(FIRST)).isEqualTo(2);
	}

	@Test
	void beginsNoLoginAheadThatWouldEndAfterTheDeadlineIfItTookAsLongAsTheLastOne() throws Exception {
		this.fixture = new RotatingPool(4, false).start();
		// Every login takes at least 200 ms, and the deadline is 300 ms away.
		this.fixture.database.loginDelay(Duration.ofMillis(200));
		this.fixture.rotator.prepare(SECOND, Instant.now().plusMillis(300));
		// The validation's login took 200 ms: a second one would have ended after the deadline.
		assertThat(this.fixture.database.open(SECOND)).isEqualTo(1);
		assertThat(this.fixture.rotator.connections().stashed(SECOND)).isEqualTo(1);
	}

	@Test
	void aFullDatabaseIsLoggedOncePerSwitchAndTheSwitchGoesOn(CapturedOutput output) throws Exception {
		this.fixture = new RotatingPool(2, true).start();
		// Room for the validation connection only: opening ahead and the surge are refused.
		this.fixture.database.maxConnections(3);
		this.fixture.rotator.prepare(SECOND, Instant.now().plusSeconds(30));
		assertThat(this.fixture.database.open(SECOND)).isEqualTo(1);
		assertThat(occurrences(output.getOut(), REFUSAL)).isEqualTo(1);
		PoolRetirement retirement = this.fixture.rotator.switchTo(SECOND, FIRST, false);
		RotatingPool.retire(retirement, Instant.now().plusSeconds(30));
		this.fixture.awaitConnections(FIRST, 0);
		this.fixture.awaitConnections(SECOND, 2);
		assertThat(this.fixture.pool.getMaximumPoolSize()).isEqualTo(2);
		assertThat(occurrences(output.getOut(), REFUSAL)).isEqualTo(1);
		// The next switch says it again, once.
		DatabaseCredentials third = new DatabaseCredentials("v-app-3", "third-secret");
		this.fixture.database.accept(third);
		this.fixture.rotator.prepare(third, Instant.now().plusSeconds(30));
		RotatingPool.retire(this.fixture.rotator.switchTo(third, SECOND, false), Instant.now().plusSeconds(30));
		assertThat(occurrences(output.getOut(), REFUSAL)).isEqualTo(2);
		assertThat(output.getOut()).contains("Raise max_connections or set vault.rotation.surge=false");
	}

	@Test
	void aRefusedLoginWaitsForTheLifecycleToInstallNewCredentialsAndUsesThem() throws Exception {
		this.fixture = new RotatingPool(2, false).start();
		List<String> rejections = new CopyOnWriteArrayList<>();
		CountDownLatch rejected = new CountDownLatch(1);
		this.fixture.rotator.onRejection(new RejectionListener() {

			@Override
			public void loginRejected(DatabaseCredentials credentials, String sqlState) {
				rejections.add(credentials.username() + " " + sqlState);
				rejected.countDown();
			}

			@Override
			public void permissionDenied() {
				rejections.add("permission denied");
			}

		});
		this.fixture.database.refuse(FIRST);
		this.fixture.poolBean().softEvictConnections();
		// The pool's next login is refused and waits; the lifecycle answers with new credentials.
		CompletableFuture<Void> lifecycle = CompletableFuture.runAsync(() -> {
			try {
				assertThat(rejected.await(20, TimeUnit.SECONDS)).isTrue();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			this.fixture.rotator.install(SECOND);
		});
		try (Connection connection = this.fixture.pool.getConnection()) {
			assertThat(this.fixture.database.open(SECOND)).isGreaterThanOrEqualTo(1);
		}
		lifecycle.get(20, TimeUnit.SECONDS);
		assertThat(rejections).first().isEqualTo("v-app-1 28P01");
		assertThat(this.fixture.database.open(FIRST)).isZero();
	}

	@Test
	void aRefusedLoginWithoutNewCredentialsFailsWhenABorrowerWouldGiveUp() throws SQLException {
		this.fixture = new RotatingPool(1, false).start();
		this.fixture.pool.setConnectionTimeout(300);
		this.fixture.database.refuse(FIRST);
		this.fixture.poolBean().softEvictConnections();
		assertThatExceptionOfType(SQLException.class).isThrownBy(() -> this.fixture.pool.getConnection().close());
		assertThat(this.fixture.database.open(FIRST)).isZero();
	}

	@Test
	void permissionDeniedOnAPooledConnectionIsReportedAndTheConnectionEvicted() throws SQLException {
		this.fixture = new RotatingPool(2, false);
		List<String> told = new CopyOnWriteArrayList<>();
		this.fixture.rotator.onRejection(new RejectionListener() {

			@Override
			public void loginRejected(DatabaseCredentials credentials, String sqlState) {
				told.add("login " + sqlState);
			}

			@Override
			public void permissionDenied() {
				told.add("permission denied");
			}

		});
		this.fixture.start();
		this.fixture.database.revoke(FIRST);
		try (Connection connection = this.fixture.pool.getConnection(); Statement statement = connection.createStatement()) {
			assertThatExceptionOfType(SQLException.class).isThrownBy(() -> statement.execute("SELECT * FROM items"))
				.satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo("42501"));
		}
		assertThat(told).first().isEqualTo("permission denied");
		// The failing connection is closed; the other one is left to its own first failure.
		this.fixture.awaitConnections(FIRST, 1);
	}

	@Test
	void switchAllowanceCoversTheSurgeWaitOnlyWhenSurging() throws SQLException {
		this.fixture = new RotatingPool(2, true);
		assertThat(this.fixture.rotator.switchAllowance()).isEqualTo(Duration.ofSeconds(30).plusMillis(50));
		try (RotatingPool withoutSurge = new RotatingPool(2, false)) {
			assertThat(withoutSurge.rotator.switchAllowance()).isEqualTo(Duration.ofMillis(50));
		}
		assertThat(this.fixture.rotator.connectionLifetime()).isEqualTo(Duration.ofMinutes(30));
		this.fixture.pool.setMaxLifetime(0);
		assertThat(this.fixture.rotator.connectionLifetime()).isNull();
	}

	private static int occurrences(String text, String part) {
		int count = 0;
		for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
			count++;
		}
		return count;
	}

}
