package io.github.vaultdatasource.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

import com.zaxxer.hikari.HikariConfigMXBean;
import com.zaxxer.hikari.HikariCredentialsProvider;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.SQLExceptionOverride;
import com.zaxxer.hikari.pool.HikariPool;
import com.zaxxer.hikari.util.Credentials;
import io.github.vaultdatasource.DatabaseCredentials;
import io.github.vaultdatasource.lease.CredentialsTarget;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Hands Vault-issued credentials to a {@link HikariDataSource} and rotates them without failing a
 * query: it is the pool's {@link HikariCredentialsProvider}, so new logins always read the
 * current credentials in one step; on a switch it optionally surges the pool so that connections
 * with the new credentials are opened while the old ones still serve, soft-evicts the old
 * connections (in-use ones close when returned), sweeps until none of the old user remains, then
 * restores the pool size.
 */
public final class HikariCredentialRotator implements CredentialsTarget, HikariCredentialsProvider {

	private static final Log logger = LogFactory.getLog(HikariCredentialRotator.class);

	private static final Duration SURGE_WAIT = Duration.ofSeconds(2);

	private final HikariDataSource pool;

	private final CredentialTrackingDataSource connections;

	private final RotationSettings settings;

	private volatile @Nullable Credentials current;

	public HikariCredentialRotator(HikariDataSource pool, CredentialTrackingDataSource connections,
			RotationSettings settings) {
		this.pool = pool;
		this.connections = connections;
		this.settings = settings;
	}

	/**
	 * Make a pool take its credentials from a new rotator: HikariCP then opens connections through
	 * a {@link CredentialTrackingDataSource} with whatever credentials the rotator holds, and any
	 * username or password configured on the pool (for example from a container's connection
	 * details) is cleared so it can never be used. Call before the pool starts.
	 * @param pool the pool
	 * @param settings the rotation settings
	 * @param rejections told the username and SQLState when the database rejects credentials
	 * @return the rotator
	 * @throws SQLException when no JDBC driver accepts the pool's URL
	 */
	public static HikariCredentialRotator attach(HikariDataSource pool, RotationSettings settings,
			BiConsumer<String, String> rejections) throws SQLException {
		String url = pool.getJdbcUrl();
		if (url == null) {
			throw new IllegalStateException("Pool " + pool.getPoolName() + " has no JDBC URL");
		}
		CredentialTrackingDataSource connections = new CredentialTrackingDataSource(url, pool.getDriverClassName(),
				pool.getDataSourceProperties(), HikariCredentialRotator.class.getClassLoader());
		HikariCredentialRotator rotator = new HikariCredentialRotator(pool, connections, settings);
		connections.onRejection(rejections);
		pool.setDataSource(connections);
		pool.setCredentialsProvider(rotator);
		pool.setUsername(null);
		pool.setPassword(null);
		pool.setExceptionOverride(new CredentialRejectionDetector(existingOverride(pool), (sqlState) -> {
			String username = rotator.currentUsername();
			if (username != null) {
				rejections.accept(username, sqlState);
			}
		}));
		return rotator;
	}

	private static @Nullable SQLExceptionOverride existingOverride(HikariDataSource pool) {
		SQLExceptionOverride override = pool.getExceptionOverride();
		String className = pool.getExceptionOverrideClassName();
		if (override == null && className != null) {
			try {
				override = (SQLExceptionOverride) Class
					.forName(className, true, HikariCredentialRotator.class.getClassLoader())
					.getDeclaredConstructor()
					.newInstance();
			}
			catch (ReflectiveOperationException ex) {
				throw new IllegalStateException("Cannot create exception override " + className, ex);
			}
			pool.setExceptionOverrideClassName(null);
		}
		return override;
	}

	@Override
	public Credentials getCredentials() {
		Credentials credentials = this.current;
		if (credentials == null) {
			throw new IllegalStateException("No Vault-issued credentials yet for pool " + this.pool.getPoolName());
		}
		return credentials;
	}

	/**
	 * Return the database user new connections log in as.
	 * @return the current username, {@code null} before install
	 */
	public @Nullable String currentUsername() {
		Credentials credentials = this.current;
		return (credentials != null) ? credentials.getUsername() : null;
	}

	/**
	 * Return the physical connection source, to observe connections by user.
	 * @return the tracking data source
	 */
	public CredentialTrackingDataSource connections() {
		return this.connections;
	}

	@Override
	public void install(DatabaseCredentials credentials) {
		this.current = Credentials.of(credentials.username(), credentials.password());
	}

	@Override
	public void validate(DatabaseCredentials candidate) throws SQLException {
		try (Connection connection = this.connections.openDirect(candidate);
				Statement statement = connection.createStatement()) {
			statement.setQueryTimeout((int) Math.max(1, this.settings.validationTimeout().toSeconds()));
			statement.execute("SELECT 1");
		}
	}

	@Override
	public SwitchReport switchTo(DatabaseCredentials next, DatabaseCredentials previous, Instant drainDeadline) {
		long started = System.nanoTime();
		install(next);
		HikariPoolMXBean poolBean = this.pool.getHikariPoolMXBean();
		if (poolBean == null || this.pool.isClosed()) {
			this.connections.forget(previous.username());
			return new SwitchReport(0, 0, 0, 0);
		}
		String old = previous.username();
		// A login that read the old credentials before the switch may still be under way; evicting
		// before it lands would let an old connection join the pool afterwards (HikariCP 1836).
		awaitUntil(() -> this.connections.loginsInFlight(old) == 0, drainDeadline);
		HikariConfigMXBean config = this.pool.getHikariConfigMXBean();
		int maximumPoolSize = config.getMaximumPoolSize();
		int minimumIdle = config.getMinimumIdle();
		boolean surged = surge(config, maximumPoolSize);
		if (surged) {
			// Let the surge open connections with the new credentials before the old ones are evicted:
			// evicting at once leaves borrowers waiting on HikariCP's single connection adder. HikariCP
			// opens them only while borrowers wait (an idle pool waits in vain, harmlessly), and never
			// longer than half of the drain budget, which the old connections need.
			int wanted = config.getMaximumPoolSize() - maximumPoolSize;
			Instant now = Instant.now();
			Instant halfBudget = now.plus(Duration.between(now, drainDeadline).dividedBy(2));
			Instant surgeDeadline = now.plus(SURGE_WAIT);
			awaitUntil(() -> this.connections.openConnections(next.username()) >= wanted,
					surgeDeadline.isBefore(halfBudget) ? surgeDeadline : halfBudget);
		}
		long switched = System.nanoTime();
		int sweeps = 1;
		long evictedAt = System.nanoTime();
		poolBean.softEvictConnections();
		while (this.connections.openConnections(old) > 0 && Instant.now().isBefore(drainDeadline)) {
			if (this.connections.openedSince(old, evictedAt)) {
				evictedAt = System.nanoTime();
				poolBean.softEvictConnections();
				sweeps++;
			}
			sleep(this.settings.sweepInterval());
		}
		int left = this.connections.openConnections(old);
		long drained = System.nanoTime();
		if (surged) {
			config.setMinimumIdle(minimumIdle);
			config.setMaximumPoolSize(maximumPoolSize);
			trim(poolBean, maximumPoolSize, drainDeadline);
		}
		if (left == 0) {
			this.connections.forget(old);
		}
		return new SwitchReport(millis(started, switched), millis(switched, drained), sweeps, left);
	}

	private boolean surge(HikariConfigMXBean config, int maximumPoolSize) {
		if (!this.settings.surgeEnabled()) {
			return false;
		}
		int surged = (int) Math.ceil(maximumPoolSize * this.settings.surgeFactor());
		if (surged <= maximumPoolSize) {
			return false;
		}
		// Order matters: HikariCP rejects a minimum idle above the maximum pool size.
		config.setMaximumPoolSize(surged);
		config.setMinimumIdle(surged);
		return true;
	}

	/**
	 * After a surge the pool holds more connections than its restored maximum, and HikariCP only
	 * retires idle connections above the minimum after the idle timeout (never when minimum idle
	 * equals the maximum). Borrow the excess and evict it.
	 */
	private void trim(HikariPoolMXBean poolBean, int maximumPoolSize, Instant deadline) {
		if (!(poolBean instanceof HikariPool hikariPool)) {
			return;
		}
		int excess = poolBean.getTotalConnections() - maximumPoolSize;
		for (int i = 0; i < excess && Instant.now().isBefore(deadline.plusSeconds(5)); i++) {
			try {
				Connection connection = hikariPool.getConnection(this.settings.sweepInterval().toMillis());
				this.pool.evictConnection(connection);
			}
			catch (SQLException ex) {
				// Nothing idle right now: the connections are busy serving, which is fine.
				return;
			}
		}
	}

	private static void awaitUntil(BooleanSupplier condition, Instant deadline) {
		while (!condition.getAsBoolean() && Instant.now().isBefore(deadline)) {
			sleep(Duration.ofMillis(10));
		}
	}

	private static void sleep(Duration duration) {
		try {
			Thread.sleep(duration.toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			logger.debug("Interrupted while draining old connections");
		}
	}

	private static long millis(long fromNanos, long toNanos) {
		return Duration.ofNanos(toNanos - fromNanos).toMillis();
	}

	/**
	 * Settings of a rotation.
	 *
	 * @param validationTimeout how long the validation query of new credentials may take
	 * @param sweepInterval how often to check for connections of the old credentials
	 * @param surgeEnabled whether to grow the pool while switching
	 * @param surgeFactor how much to grow it, relative to the maximum pool size
	 */
	public record RotationSettings(Duration validationTimeout, Duration sweepInterval, boolean surgeEnabled,
			double surgeFactor) {

	}

}
