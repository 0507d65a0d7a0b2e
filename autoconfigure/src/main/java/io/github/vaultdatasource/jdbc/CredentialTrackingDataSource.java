package io.github.vaultdatasource.jdbc;

import java.io.PrintWriter;
import java.lang.ref.WeakReference;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Properties;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

import javax.sql.DataSource;

import io.github.vaultdatasource.DatabaseCredentials;
import org.jspecify.annotations.Nullable;

/**
 * The {@link DataSource} HikariCP opens physical connections through, in place of its own
 * driver wrapper. It records which credentials each connection logged in with and which logins
 * are still in flight, so a rotation can tell when no connection of the old credentials is left,
 * including one that was still logging in when the credentials switched (HikariCP issue 1836).
 * Connections are tracked by credentials, not by username, so a static role whose password
 * changes is told apart too. A login the database refuses is reported, and retried once with
 * replacement credentials when the listener has some. Connections opened ahead of a switch (the
 * validation connection, a pre-opened generation) wait here for the pool's next logins, so
 * HikariCP's single connection adder takes them at once instead of logging in one by one.
 */
public final class CredentialTrackingDataSource implements DataSource {

	static final String LOGIN_FAILED = "28P01";

	static final String INVALID_AUTHORIZATION = "28000";

	static final String PERMISSION_DENIED = "42501";

	static final String TOO_MANY_CONNECTIONS = "53300";

	private final Driver driver;

	private final String url;

	private final Properties properties;

	private final Map<DatabaseCredentials, Generation> generations = new ConcurrentHashMap<>();

	private final Map<DatabaseCredentials, Queue<Stashed>> stash = new ConcurrentHashMap<>();

	private volatile LoginListener listener = (credentials, sqlState) -> null;

	private volatile int loginTimeout;

	/**
	 * Create a data source for a JDBC URL.
	 * @param url the JDBC URL
	 * @param driverClassName the driver class, or {@code null} to find it from the URL
	 * @param properties driver properties (HikariCP's {@code dataSourceProperties})
	 * @param classLoader the class loader for the driver class
	 * @throws SQLException when no driver accepts the URL
	 */
	public CredentialTrackingDataSource(String url, @Nullable String driverClassName, Properties properties,
			ClassLoader classLoader) throws SQLException {
		this.url = url;
		this.properties = new Properties();
		this.properties.putAll(properties);
		this.driver = resolveDriver(url, driverClassName, classLoader);
	}

	private static Driver resolveDriver(String url, @Nullable String driverClassName, ClassLoader classLoader)
			throws SQLException {
		if (driverClassName != null && !driverClassName.isBlank()) {
			try {
				Class<?> type = Class.forName(driverClassName, true, classLoader);
				return (Driver) type.getDeclaredConstructor().newInstance();
			}
			catch (ReflectiveOperationException | ClassCastException ex) {
				throw new SQLException("Cannot load JDBC driver class " + driverClassName, ex);
			}
		}
		return DriverManager.getDriver(url);
	}

	void onLoginFailure(LoginListener listener) {
		this.listener = listener;
	}

	/**
	 * Return the JDBC URL.
	 * @return the URL
	 */
	String url() {
		return this.url;
	}

	@Override
	public Connection getConnection() throws SQLException {
		throw new SQLFeatureNotSupportedException("Credentials come from Vault; HikariCP passes them explicitly");
	}

	@Override
	public Connection getConnection(String username, String password) throws SQLException {
		DatabaseCredentials credentials = new DatabaseCredentials(username, password);
		try {
			return open(credentials);
		}
		catch (SQLException ex) {
			DatabaseCredentials replacement = this.listener.loginFailed(credentials, String.valueOf(ex.getSQLState()));
			if (replacement == null || replacement.equals(credentials)) {
				throw ex;
			}
			// The credentials were replaced while this login was failing (or waiting): the pool's
			// connection adder gets a connection instead of backing off for seconds.
			return open(replacement);
		}
	}

	private Connection open(DatabaseCredentials credentials) throws SQLException {
		Generation generation = this.generations.computeIfAbsent(credentials, (key) -> new Generation());
		Connection opened = takeStashed(credentials);
		if (opened != null) {
			generation.add(opened);
			return opened;
		}
		generation.inFlight.incrementAndGet();
		try {
			Connection connection = connect(credentials);
			generation.add(connection);
			return connection;
		}
		finally {
			generation.inFlight.decrementAndGet();
		}
	}

	/**
	 * Keep a connection opened ahead of time for the pool: the next login with the same credentials
	 * gets it at once instead of logging in.
	 * @param credentials the credentials it logged in with
	 * @param connection the connection
	 * @param keepFor how long to keep it before closing it unused
	 */
	void stash(DatabaseCredentials credentials, Connection connection, Duration keepFor) {
		this.stash.computeIfAbsent(credentials, (key) -> new ConcurrentLinkedQueue<>())
			.add(new Stashed(connection, System.nanoTime() + keepFor.toNanos()));
	}

	/**
	 * Return how many connections opened ahead of time are waiting for the pool.
	 * @param credentials the credentials
	 * @return the stashed connections
	 */
	int stashed(DatabaseCredentials credentials) {
		Queue<Stashed> stashed = this.stash.get(credentials);
		return (stashed != null) ? stashed.size() : 0;
	}

	/**
	 * Close the connections opened ahead of time that the pool did not take (expired ones, or all of
	 * them for credentials no longer used).
	 * @param credentials the credentials, or {@code null} for the expired ones of every credentials
	 */
	void discardStashed(@Nullable DatabaseCredentials credentials) {
		long now = System.nanoTime();
		this.stash.forEach((key, queue) -> {
			boolean all = key.equals(credentials);
			queue.removeIf((stashed) -> {
				if (all || stashed.expires - now <= 0) {
					closeQuietly(stashed.connection);
					return true;
				}
				return false;
			});
		});
		this.stash.values().removeIf(Queue::isEmpty);
	}

	private @Nullable Connection takeStashed(DatabaseCredentials credentials) {
		Queue<Stashed> queue = this.stash.get(credentials);
		if (queue == null) {
			return null;
		}
		long now = System.nanoTime();
		for (Stashed stashed; (stashed = queue.poll()) != null;) {
			if (stashed.expires - now > 0 && isUsable(stashed.connection)) {
				return stashed.connection;
			}
			closeQuietly(stashed.connection);
		}
		return null;
	}

	private static boolean isUsable(Connection connection) {
		try {
			return !connection.isClosed();
		}
		catch (SQLException ex) {
			return false;
		}
	}

	static void closeQuietly(Connection connection) {
		try {
			connection.close();
		}
		catch (SQLException ex) {
			// Going away anyway.
		}
	}

	/**
	 * Open a connection outside the pool and untracked, to validate new credentials.
	 * @param credentials the credentials
	 * @return the connection
	 * @throws SQLException when the database rejects the login
	 */
	Connection openDirect(DatabaseCredentials credentials) throws SQLException {
		return connect(credentials);
	}

	private Connection connect(DatabaseCredentials credentials) throws SQLException {
		Properties login = new Properties();
		login.putAll(this.properties);
		login.setProperty("user", credentials.username());
		login.setProperty("password", credentials.password());
		if (this.loginTimeout > 0 && !login.containsKey("loginTimeout")) {
			login.setProperty("loginTimeout", Integer.toString(this.loginTimeout));
		}
		Connection connection = this.driver.connect(this.url, login);
		if (connection == null) {
			throw new SQLException("JDBC driver " + this.driver.getClass().getName() + " does not accept " + this.url);
		}
		return connection;
	}

	/**
	 * Return how many connections opened with {@code credentials} are still open.
	 * @param credentials the credentials
	 * @return the open connections
	 */
	public int openConnections(DatabaseCredentials credentials) {
		Generation generation = this.generations.get(credentials);
		return (generation != null) ? generation.open() : 0;
	}

	/**
	 * Return whether {@code connection} is a physical connection opened with {@code credentials}.
	 * @param credentials the credentials
	 * @param connection a physical connection, as the pool holds it
	 * @return whether it was opened with those credentials
	 */
	boolean openedWith(DatabaseCredentials credentials, Connection connection) {
		Generation generation = this.generations.get(credentials);
		return generation != null && generation.holds(connection);
	}

	/**
	 * Return how many logins with {@code credentials} are under way.
	 * @param credentials the credentials
	 * @return the logins in flight
	 */
	public int loginsInFlight(DatabaseCredentials credentials) {
		Generation generation = this.generations.get(credentials);
		return (generation != null) ? generation.inFlight.get() : 0;
	}

	/**
	 * Return whether a connection with {@code credentials} was opened after {@code nanoTime}.
	 * @param credentials the credentials
	 * @param nanoTime a {@link System#nanoTime()} reading
	 * @return whether a newer connection exists
	 */
	boolean openedSince(DatabaseCredentials credentials, long nanoTime) {
		Generation generation = this.generations.get(credentials);
		return generation != null && generation.lastOpened - nanoTime > 0;
	}

	/**
	 * Stop tracking credentials whose connections are all gone.
	 * @param credentials the credentials
	 */
	void forget(DatabaseCredentials credentials) {
		this.generations.remove(credentials);
	}

	@Override
	public @Nullable PrintWriter getLogWriter() {
		return null;
	}

	@Override
	public void setLogWriter(PrintWriter out) {
	}

	@Override
	public void setLoginTimeout(int seconds) {
		this.loginTimeout = seconds;
	}

	@Override
	public int getLoginTimeout() {
		return this.loginTimeout;
	}

	@Override
	public Logger getParentLogger() throws SQLFeatureNotSupportedException {
		return this.driver.getParentLogger();
	}

	@Override
	public <T> T unwrap(Class<T> iface) throws SQLException {
		if (iface.isInstance(this)) {
			return iface.cast(this);
		}
		throw new SQLException("Not a wrapper for " + iface.getName());
	}

	@Override
	public boolean isWrapperFor(Class<?> iface) {
		return iface.isInstance(this);
	}

	@Override
	public String toString() {
		return "CredentialTrackingDataSource[" + this.url + "]";
	}

	/**
	 * Told when the database refuses a login of the pool.
	 */
	@FunctionalInterface
	interface LoginListener {

		/**
		 * Handle a refused login.
		 * @param credentials the credentials the login used
		 * @param sqlState the SQLState of the refusal
		 * @return credentials to retry with once, or {@code null} to let the login fail
		 */
		@Nullable DatabaseCredentials loginFailed(DatabaseCredentials credentials, String sqlState);

	}

	private record Stashed(Connection connection, long expires) {

	}

	private static final class Generation {

		private final AtomicInteger inFlight = new AtomicInteger();

		private final Queue<WeakReference<Connection>> connections = new ConcurrentLinkedQueue<>();

		private volatile long lastOpened = System.nanoTime();

		void add(Connection connection) {
			this.connections.add(new WeakReference<>(connection));
			this.lastOpened = System.nanoTime();
		}

		boolean holds(Connection connection) {
			for (WeakReference<Connection> reference : this.connections) {
				if (reference.get() == connection) {
					return true;
				}
			}
			return false;
		}

		int open() {
			int open = 0;
			for (Iterator<WeakReference<Connection>> it = this.connections.iterator(); it.hasNext();) {
				Connection connection = it.next().get();
				if (connection == null || isClosed(connection)) {
					it.remove();
				}
				else {
					open++;
				}
			}
			return open;
		}

		private static boolean isClosed(Connection connection) {
			try {
				return connection.isClosed();
			}
			catch (SQLException ex) {
				return true;
			}
		}

	}

}
