package io.github.vaultdatasource.jdbc;

import java.io.PrintWriter;
import java.lang.ref.WeakReference;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Iterator;
import java.util.Map;
import java.util.Properties;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.logging.Logger;

import javax.sql.DataSource;

import io.github.vaultdatasource.DatabaseCredentials;
import org.jspecify.annotations.Nullable;

/**
 * The {@link DataSource} HikariCP opens physical connections through, in place of its own
 * driver wrapper. It records which database user each connection was opened as and which logins
 * are still in flight, so a rotation can tell when no connection of the old credentials is left,
 * including one that was still logging in when the credentials switched (HikariCP issue 1836).
 * It also reports logins the database rejects (SQLState 28P01).
 */
public final class CredentialTrackingDataSource implements DataSource {

	static final String LOGIN_FAILED = "28P01";

	private final Driver driver;

	private final String url;

	private final Properties properties;

	private final Map<String, UserConnections> users = new ConcurrentHashMap<>();

	private volatile BiConsumer<String, String> rejectionListener = (username, sqlState) -> {
	};

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

	void onRejection(BiConsumer<String, String> listener) {
		this.rejectionListener = listener;
	}

	@Override
	public Connection getConnection() throws SQLException {
		throw new SQLFeatureNotSupportedException("Credentials come from Vault; HikariCP passes them explicitly");
	}

	@Override
	public Connection getConnection(String username, String password) throws SQLException {
		UserConnections user = this.users.computeIfAbsent(username, (name) -> new UserConnections());
		user.inFlight.incrementAndGet();
		try {
			Connection connection = connect(username, password);
			user.add(connection);
			return connection;
		}
		catch (SQLException ex) {
			if (LOGIN_FAILED.equals(ex.getSQLState())) {
				this.rejectionListener.accept(username, LOGIN_FAILED);
			}
			throw ex;
		}
		finally {
			user.inFlight.decrementAndGet();
		}
	}

	/**
	 * Open a connection outside the pool and untracked, to validate new credentials.
	 * @param credentials the credentials
	 * @return the connection
	 * @throws SQLException when the database rejects the login
	 */
	Connection openDirect(DatabaseCredentials credentials) throws SQLException {
		return connect(credentials.username(), credentials.password());
	}

	private Connection connect(String username, String password) throws SQLException {
		Properties login = new Properties();
		login.putAll(this.properties);
		login.setProperty("user", username);
		login.setProperty("password", password);
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
	 * Return how many connections opened as {@code username} are still open.
	 * @param username the database user
	 * @return the open connections
	 */
	public int openConnections(String username) {
		UserConnections user = this.users.get(username);
		return (user != null) ? user.open() : 0;
	}

	/**
	 * Return how many logins as {@code username} are under way.
	 * @param username the database user
	 * @return the logins in flight
	 */
	public int loginsInFlight(String username) {
		UserConnections user = this.users.get(username);
		return (user != null) ? user.inFlight.get() : 0;
	}

	/**
	 * Return whether a connection as {@code username} was opened after {@code nanoTime}.
	 * @param username the database user
	 * @param nanoTime a {@link System#nanoTime()} reading
	 * @return whether a newer connection exists
	 */
	boolean openedSince(String username, long nanoTime) {
		UserConnections user = this.users.get(username);
		return user != null && user.lastOpened - nanoTime > 0;
	}

	/**
	 * Stop tracking a user whose connections are all gone.
	 * @param username the database user
	 */
	void forget(String username) {
		this.users.remove(username);
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

	private static final class UserConnections {

		private final AtomicInteger inFlight = new AtomicInteger();

		private final Queue<WeakReference<Connection>> connections = new ConcurrentLinkedQueue<>();

		private volatile long lastOpened = System.nanoTime();

		void add(Connection connection) {
			this.connections.add(new WeakReference<>(connection));
			this.lastOpened = System.nanoTime();
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
