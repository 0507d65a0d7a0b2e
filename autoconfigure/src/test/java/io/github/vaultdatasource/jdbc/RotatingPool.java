package io.github.vaultdatasource.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.github.vaultdatasource.DatabaseCredentials;
import io.github.vaultdatasource.jdbc.HikariCredentialRotator.RotationSettings;
import io.github.vaultdatasource.lease.CredentialsTarget.Retirement;

import static org.awaitility.Awaitility.await;

/**
 * A real {@link HikariDataSource} attached to a {@link HikariCredentialRotator}, logging in to a
 * {@link FakeDatabase} that accepts two generations of credentials, {@link #FIRST} installed.
 */
final class RotatingPool implements AutoCloseable {

	static final DatabaseCredentials FIRST = new DatabaseCredentials("v-app-1", "first-secret");

	static final DatabaseCredentials SECOND = new DatabaseCredentials("v-app-2", "second-secret");

	static final Duration SWEEP_INTERVAL = Duration.ofMillis(50);

	private static final Duration PATIENCE = Duration.ofSeconds(20);

	final FakeDatabase database;

	final HikariDataSource pool;

	final HikariCredentialRotator rotator;

	/**
	 * Start a pool of {@code size} connections (minimum idle and maximum alike), all of
	 * {@link #FIRST}.
	 * @param size the pool size
	 * @param surge whether switches grow the pool to twice its size first
	 * @throws SQLException when the pool cannot start
	 */
	RotatingPool(int size, boolean surge) throws SQLException {
		this.database = new FakeDatabase();
		this.database.accept(FIRST);
		this.database.accept(SECOND);
		this.pool = new HikariDataSource();
		this.pool.setPoolName("orders");
		this.pool.setJdbcUrl(this.database.url());
		this.pool.setUsername("configured-user");
		this.pool.setPassword("configured-password");
		this.pool.setMaximumPoolSize(size);
		this.pool.setMinimumIdle(size);
		this.pool.setConnectionTimeout(2000);
		this.rotator = HikariCredentialRotator.attach(this.pool, new RotationSettings(Duration.ofSeconds(1),
				SWEEP_INTERVAL, surge, 2.0, Duration.ofSeconds(30), true));
		this.rotator.install(FIRST);
	}

	RotatingPool start() throws SQLException {
		try (Connection connection = this.pool.getConnection()) {
			// Starts the pool; HikariCP fills it to its minimum idle in the background.
		}
		awaitConnections(FIRST, this.pool.getMaximumPoolSize());
		// A login that ended joins HikariCP's bag a moment later: a test that evicts before then
		// would leave that connection out.
		await().atMost(PATIENCE).until(() -> poolBean().getTotalConnections() == this.pool.getMaximumPoolSize());
		return this;
	}

	HikariPoolMXBean poolBean() {
		return this.pool.getHikariPoolMXBean();
	}

	/**
	 * Wait until the database holds {@code count} open connections of {@code credentials}.
	 * @param credentials the credentials
	 * @param count the connections expected
	 */
	void awaitConnections(DatabaseCredentials credentials, int count) {
		await().atMost(PATIENCE).until(() -> this.database.open(credentials) == count);
	}

	/**
	 * Drive a retirement as the lease lifecycle does, step by step, until it is done.
	 * @param retirement the retirement
	 * @param deadline the drain deadline
	 */
	static void retire(Retirement retirement, Instant deadline) {
		Instant giveUp = Instant.now().plus(PATIENCE);
		for (Duration wait = retirement.advance(deadline); wait != null; wait = retirement.advance(deadline)) {
			if (Instant.now().isAfter(giveUp)) {
				throw new AssertionError("Retirement still not done after " + PATIENCE + ": " + retirement.report());
			}
			HikariCredentialRotator.sleep(wait);
		}
	}

	@Override
	public void close() throws SQLException {
		this.pool.close();
		this.database.close();
	}

}
