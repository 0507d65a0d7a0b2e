package io.github.vaultdatasource.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

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
 * current credentials in one step. A switch returns a {@link PoolRetirement} that optionally
 * surges the pool so that connections with the new credentials are opened while the old ones
 * still serve, evicts the old connections (in-use ones close when returned), sweeps until
 * none of them remains, then restores the pool size.
 * <p>
 * When the database refuses a login of the current credentials, the login waits (as long as a
 * borrower would) for the lease lifecycle to install new ones and then uses them, instead of
 * leaving HikariCP's connection adder to back off for seconds.
 */
public final class HikariCredentialRotator implements CredentialsTarget, HikariCredentialsProvider {

	private static final Log logger = LogFactory.getLog(HikariCredentialRotator.class);

	private static final Set<String> REJECTIONS = Set.of(CredentialTrackingDataSource.LOGIN_FAILED,
			CredentialTrackingDataSource.INVALID_AUTHORIZATION, CredentialTrackingDataSource.PERMISSION_DENIED);

	private static final Duration POLL = Duration.ofMillis(10);

	private static final Duration LONGEST_LOGIN_WAIT = Duration.ofSeconds(30);

	// Long enough for a surge to take them, or for a pool that starts after startup's check.
	private static final Duration STASH_TIME = Duration.ofSeconds(30);

	private final HikariDataSource pool;

	private final CredentialTrackingDataSource connections;

	private final RotationSettings settings;

	private final Object surgeLock = new Object();

	private volatile @Nullable DatabaseCredentials current;

	private volatile @Nullable Credentials hikariCredentials;

	private volatile RejectionListener listener = RejectionListener.NONE;

	private volatile @Nullable Runnable beforeFirstLogin;

	private int surges;

	private int restoredMaximumPoolSize;

	private int restoredMinimumIdle;

	private volatile boolean surgeRefused;

	private final java.util.concurrent.atomic.AtomicBoolean refusalLogged = new java.util.concurrent.atomic.AtomicBoolean();

	HikariCredentialRotator(HikariDataSource pool, CredentialTrackingDataSource connections,
			RotationSettings settings) {
		this.pool = pool;
		this.connections = connections;
		this.settings = settings;
		connections.onLoginFailure(this::loginFailed);
	}

	/**
	 * Make a pool take its credentials from a new rotator: HikariCP then opens connections through
	 * a {@link CredentialTrackingDataSource} with whatever credentials the rotator holds, and any
	 * username or password configured on the pool (for example from a container's connection
	 * details) is cleared so it can never be used. Call before the pool starts.
	 * @param pool the pool
	 * @param settings the rotation settings
	 * @return the rotator
	 * @throws SQLException when no JDBC driver accepts the pool's URL
	 */
	public static HikariCredentialRotator attach(HikariDataSource pool, RotationSettings settings)
			throws SQLException {
		String url = pool.getJdbcUrl();
		if (url == null) {
			throw new IllegalStateException("Pool " + pool.getPoolName() + " has no JDBC URL");
		}
		CredentialTrackingDataSource connections = new CredentialTrackingDataSource(url, pool.getDriverClassName(),
				pool.getDataSourceProperties(), HikariCredentialRotator.class.getClassLoader());
		HikariCredentialRotator rotator = new HikariCredentialRotator(pool, connections, settings);
		pool.setDataSource(connections);
		pool.setCredentialsProvider(rotator);
		pool.setUsername(null);
		pool.setPassword(null);
		pool.setExceptionOverride(new CredentialRejectionDetector(existingOverride(pool),
				settings.evictOnPermissionDenied(), () -> rotator.listener.permissionDenied(),
				() -> rotator.listener.sessionTerminated()));
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

	/**
	 * Tell a listener when the database rejects credentials of this pool.
	 * @param listener the listener
	 */
	public void onRejection(RejectionListener listener) {
		this.listener = listener;
	}

	/**
	 * Have a login that finds no credentials installed run the given task first, on its own thread:
	 * the start that installs them, when it has not run yet. The task runs the start at most once,
	 * waits when it is running on another thread, and throws the start's failure; a pool used while
	 * the application starts then waits for its credentials instead of failing.
	 * @param start the start of the pool's lease lifecycle
	 */
	public void beforeFirstLogin(Runnable start) {
		this.beforeFirstLogin = start;
	}

	@Override
	public Credentials getCredentials() {
		Credentials credentials = this.hikariCredentials;
		if (credentials == null) {
			Runnable start = this.beforeFirstLogin;
			if (start != null) {
				start.run();
				credentials = this.hikariCredentials;
			}
		}
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
		DatabaseCredentials credentials = this.current;
		return (credentials != null) ? credentials.username() : null;
	}

	@Override
	public void install(DatabaseCredentials credentials) {
		// One volatile write of an immutable pair: a login reads both or neither.
		this.hikariCredentials = Credentials.of(credentials.username(), credentials.password());
		this.current = credentials;
	}

	@Override
	public void validate(DatabaseCredentials candidate) throws SQLException {
		try (Connection connection = this.connections.openDirect(candidate)) {
			check(connection);
		}
	}

	@Override
	public void prepare(DatabaseCredentials candidate, Instant deadline) throws SQLException {
		this.connections.discardStashed(null);
		this.refusalLogged.set(false);
		long started = System.nanoTime();
		Connection first = this.connections.openDirect(candidate);
		long login = System.nanoTime() - started;
		try {
			check(first);
		}
		catch (SQLException | RuntimeException ex) {
			CredentialTrackingDataSource.closeQuietly(first);
			throw ex;
		}
		this.connections.stash(candidate, first, STASH_TIME);
		// As many as the pool holds now: the new generation is ready before the old one goes.
		HikariPoolMXBean pool = poolBean();
		int wanted = (pool != null) ? Math.min(pool.getTotalConnections(), this.pool.getMaximumPoolSize()) - 1 : 0;
		// A login cannot be cut short: one is begun only when it would end by the deadline, if it
		// takes as long as the last one did. On a loaded machine a login can take seconds, and one
		// begun just before the deadline can hold the switch past the old lease's end (max_ttl).
		for (int i = 0; i < wanted && Instant.now().plusNanos(login).isBefore(deadline); i++) {
			try {
				started = System.nanoTime();
				this.connections.stash(candidate, this.connections.openDirect(candidate), STASH_TIME);
				login = System.nanoTime() - started;
			}
			catch (SQLException ex) {
				if (CredentialTrackingDataSource.TOO_MANY_CONNECTIONS.equals(ex.getSQLState())) {
					logRefusal();
				}
				else {
					logger.debug("Opening a connection ahead of the switch failed: " + ex.getMessage());
				}
				// The pool opens the rest itself, as far as the database lets it.
				return;
			}
		}
	}

	@Override
	public void discard(DatabaseCredentials credentials) {
		this.connections.discardStashed(credentials);
	}

	private void check(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement()) {
			statement.setQueryTimeout((int) Math.max(1, this.settings.validationTimeout().toSeconds()));
			statement.execute("SELECT 1");
		}
	}

	@Override
	public @Nullable Duration connectionLifetime() {
		long lifetime = this.pool.getMaxLifetime();
		return (lifetime > 0) ? Duration.ofMillis(lifetime) : null;
	}

	@Override
	public Duration switchAllowance() {
		Duration sweep = this.settings.sweepInterval();
		return this.settings.surgeEnabled() ? this.settings.surgeWait().plus(sweep) : sweep;
	}

	@Override
	public PoolRetirement switchTo(DatabaseCredentials next, DatabaseCredentials previous, boolean previousDead) {
		install(next);
		return new PoolRetirement(this, next, previous, previousDead);
	}

	private @Nullable DatabaseCredentials loginFailed(DatabaseCredentials credentials, String sqlState) {
		if (CredentialTrackingDataSource.TOO_MANY_CONNECTIONS.equals(sqlState)) {
			surgeRefused();
			return null;
		}
		if (!REJECTIONS.contains(sqlState)) {
			return null;
		}
		this.listener.loginRejected(credentials, sqlState);
		long waitNanos = Math.min(this.pool.getConnectionTimeout(), LONGEST_LOGIN_WAIT.toMillis()) * 1_000_000L;
		long deadline = System.nanoTime() + waitNanos;
		DatabaseCredentials replacement = this.current;
		while (credentials.equals(replacement) && deadline - System.nanoTime() > 0 && !this.pool.isClosed()) {
			if (!sleep(POLL)) {
				return null;
			}
			replacement = this.current;
		}
		return (replacement != null && !credentials.equals(replacement)) ? replacement : null;
	}

	CredentialTrackingDataSource connections() {
		return this.connections;
	}

	RotationSettings settings() {
		return this.settings;
	}

	/**
	 * Return the running pool.
	 * @return the pool, {@code null} when closed or not started yet (a pool that HikariCP starts
	 * lazily is published only once its constructor, which already logs in, is done)
	 */
	@Nullable HikariPoolMXBean poolBean() {
		return this.pool.isClosed() ? null : this.pool.getHikariPoolMXBean();
	}

	boolean isPoolClosed() {
		return this.pool.isClosed();
	}

	/**
	 * Grow the pool for a switch, unless surging is off, a surge is already on (then it is shared),
	 * or the database refused the last one.
	 * @return the number of new connections wanted before evicting, or 0 for no surge
	 */
	int beginSurge() {
		if (!this.settings.surgeEnabled() || this.pool.isClosed()) {
			return 0;
		}
		synchronized (this.surgeLock) {
			HikariConfigMXBean config = this.pool.getHikariConfigMXBean();
			if (this.surges == 0) {
				int maximum = config.getMaximumPoolSize();
				int surged = (int) Math.ceil(maximum * this.settings.surgeFactor());
				if (surged <= maximum) {
					return 0;
				}
				this.restoredMaximumPoolSize = maximum;
				this.restoredMinimumIdle = config.getMinimumIdle();
				this.surgeRefused = false;
				// Order matters: HikariCP rejects a minimum idle above the maximum pool size.
				config.setMaximumPoolSize(surged);
				config.setMinimumIdle(surged);
				fillNow();
			}
			this.surges++;
			return this.restoredMaximumPoolSize;
		}
	}

	/**
	 * The surge's new connections are open and the old ones are being evicted: HikariCP would open
	 * more new connections to keep the surged minimum idle, only for them to be trimmed at the end.
	 * The minimum goes back now; the maximum stays surged until the old connections are gone, so
	 * borrowed old connections and the new ones fit side by side.
	 */
	void surgeReady() {
		synchronized (this.surgeLock) {
			// Another switch's surge still wants its connections opened ahead.
			if (this.surges == 1 && !this.pool.isClosed()) {
				this.pool.getHikariConfigMXBean().setMinimumIdle(this.restoredMinimumIdle);
			}
		}
	}

	/**
	 * HikariCP fills the pool up to its minimum idle only when a connection closes (or on its
	 * 30-second housekeeping): retire one connection of the replaced credentials now, an idle one
	 * if there is one, so that the surge opens its new connections even when no borrower waits.
	 * Marked, not borrowed: borrowing with a short timeout would count as a borrower's timeout in
	 * HikariCP's metrics whenever the pool is busy.
	 */
	private void fillNow() {
		HikariPoolMXBean poolBean = poolBean();
		DatabaseCredentials credentials = this.current;
		if (poolBean != null && credentials != null) {
			GenerationEviction.evict(poolBean, (connection) -> !this.connections.openedWith(credentials, connection),
					1, "(replaced credentials, to start the surge)");
		}
	}

	/**
	 * Whether the database refused connections of the current surge.
	 * @return whether the surge was refused
	 */
	boolean isSurgeRefused() {
		return this.surgeRefused;
	}

	/**
	 * End one surge; the last one restores the pool's sizes and evicts the connections above them.
	 */
	void endSurge() {
		synchronized (this.surgeLock) {
			if (this.surges == 0) {
				return;
			}
			this.surges--;
			if (this.surges > 0) {
				return;
			}
			restoreSizes();
		}
		trim();
	}

	private void surgeRefused() {
		synchronized (this.surgeLock) {
			if (this.surges == 0 || this.surgeRefused) {
				return;
			}
			this.surgeRefused = true;
			restoreSizes();
		}
		logRefusal();
	}

	// Once per switch, whether the refusal came while opening ahead or while the pool grew.
	private void logRefusal() {
		if (this.refusalLogged.compareAndSet(false, true)) {
			logger.warn(String.format("PostgreSQL refused connections of pool '%s' while it was growing for a "
					+ "credential switch (SQLState 53300, too many connections); the switch continues without "
					+ "growing the pool further. Raise max_connections or set vault.rotation.surge=false.",
					this.pool.getPoolName()));
		}
	}

	@Override
	public boolean userExists(String username) {
		DatabaseCredentials credentials = this.current;
		if (credentials == null) {
			return false;
		}
		// A connection of its own, with the current credentials: one from the pool can wait behind a
		// busy application until the answer no longer matters (or the pool has closed).
		try (Connection connection = this.connections.openDirect(credentials);
				java.sql.PreparedStatement statement = connection
					.prepareStatement("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ?")) {
			statement.setString(1, username);
			try (java.sql.ResultSet rows = statement.executeQuery()) {
				return rows.next();
			}
		}
		catch (SQLException | RuntimeException ex) {
			return false;
		}
	}

	private void restoreSizes() {
		if (this.pool.isClosed()) {
			return;
		}
		HikariConfigMXBean config = this.pool.getHikariConfigMXBean();
		config.setMinimumIdle(this.restoredMinimumIdle);
		config.setMaximumPoolSize(this.restoredMaximumPoolSize);
	}

	/**
	 * After a surge the pool holds more connections than its restored maximum, and HikariCP only
	 * retires idle connections above the minimum after the idle timeout (never when minimum idle
	 * equals the maximum). Mark the excess evicted, idle connections first (they close now,
	 * borrowed ones when they are returned); only a HikariCP whose entries cannot be reached has
	 * them borrowed and evicted.
	 */
	private void trim() {
		HikariPoolMXBean poolBean = poolBean();
		if (poolBean == null) {
			return;
		}
		int excess = poolBean.getTotalConnections() - this.pool.getMaximumPoolSize();
		if (excess <= 0 || GenerationEviction.evict(poolBean, (connection) -> true, excess,
				"(above the pool size after a credential switch)") >= 0) {
			return;
		}
		if (!(poolBean instanceof HikariPool hikariPool)) {
			return;
		}
		for (int i = 0; i < excess; i++) {
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

	static boolean sleep(Duration duration) {
		try {
			Thread.sleep(duration.toMillis());
			return true;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

	/**
	 * Told when the database rejects credentials of the pool.
	 */
	public interface RejectionListener {

		/**
		 * A listener that does nothing.
		 */
		RejectionListener NONE = new RejectionListener() {

			@Override
			public void loginRejected(DatabaseCredentials credentials, String sqlState) {
			}

			@Override
			public void permissionDenied() {
			}

		};

		/**
		 * The database refused a login with these credentials (SQLState 28P01, 28000 or 42501).
		 * @param credentials the credentials the login used
		 * @param sqlState the SQLState
		 */
		void loginRejected(DatabaseCredentials credentials, String sqlState);

		/**
		 * A statement on a pooled connection failed with SQLState 42501 (permission denied). Which
		 * connection, and so which credentials, HikariCP does not say.
		 */
		void permissionDenied();

		/**
		 * A pooled connection's session was ended by an administrator (SQLState 57P01), as a
		 * revocation ends the revoked user's sessions, or a database shutdown all of them.
		 */
		default void sessionTerminated() {
			permissionDenied();
		}

	}

	/**
	 * Settings of a rotation.
	 *
	 * @param validationTimeout how long the validation query of new credentials may take
	 * @param sweepInterval how often to check for connections of the old credentials
	 * @param surgeEnabled whether to grow the pool while switching
	 * @param surgeFactor how much to grow it, relative to the maximum pool size
	 * @param surgeWait how long a switch waits for the surge's new connections before evicting
	 * @param evictOnPermissionDenied whether a connection whose statement failed with SQLState
	 * 42501 is evicted
	 */
	public record RotationSettings(Duration validationTimeout, Duration sweepInterval, boolean surgeEnabled,
			double surgeFactor, Duration surgeWait, boolean evictOnPermissionDenied) {

	}

}
