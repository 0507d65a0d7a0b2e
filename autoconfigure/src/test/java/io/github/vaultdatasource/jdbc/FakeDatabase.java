package io.github.vaultdatasource.jdbc;

import java.lang.reflect.Array;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

import io.github.vaultdatasource.DatabaseCredentials;
import org.jspecify.annotations.Nullable;

/**
 * A JDBC driver standing in for PostgreSQL in unit tests: it accepts the logins of the credentials
 * it was told to accept, refuses the others like PostgreSQL does (SQLState 28P01), refuses logins
 * beyond its connection limit (53300), can hold logins until the test releases them, and records
 * every connection and statement. Registered with {@link DriverManager} under a URL of its own, so
 * {@link CredentialTrackingDataSource} finds it as it finds the PostgreSQL driver.
 */
final class FakeDatabase implements Driver, AutoCloseable {

	private final String url = "jdbc:fakedb:" + UUID.randomUUID();

	private final Set<DatabaseCredentials> accepted = ConcurrentHashMap.newKeySet();

	private final Set<DatabaseCredentials> revoked = ConcurrentHashMap.newKeySet();

	private final List<FakeConnection> connections = new CopyOnWriteArrayList<>();

	private final List<String> statements = new CopyOnWriteArrayList<>();

	private final AtomicInteger logins = new AtomicInteger();

	private final Map<String, AtomicInteger> heldLogins = new ConcurrentHashMap<>();

	private volatile Properties lastLogin = new Properties();

	private volatile int maxConnections = Integer.MAX_VALUE;

	private volatile Duration loginDelay = Duration.ZERO;

	private volatile CountDownLatch gate = new CountDownLatch(0);

	private volatile String heldUser = "";

	private volatile CountDownLatch statementGate = new CountDownLatch(0);

	private volatile @Nullable String heldSql;

	private final AtomicInteger heldStatements = new AtomicInteger();

	FakeDatabase() throws SQLException {
		DriverManager.registerDriver(this);
	}

	String url() {
		return this.url;
	}

	void accept(DatabaseCredentials credentials) {
		this.accepted.add(credentials);
	}

	/**
	 * Stop accepting the credentials for new logins; like a revoked PostgreSQL user, existing
	 * sessions stay open.
	 * @param credentials the credentials
	 */
	void refuse(DatabaseCredentials credentials) {
		this.accepted.remove(credentials);
	}

	/**
	 * Revoke the credentials the way Vault's revocation statements do: new logins are refused and
	 * every statement of their open sessions fails with "permission denied" (42501).
	 * @param credentials the credentials
	 */
	void revoke(DatabaseCredentials credentials) {
		refuse(credentials);
		this.revoked.add(credentials);
	}

	void maxConnections(int maxConnections) {
		this.maxConnections = maxConnections;
	}

	/**
	 * Make every login take at least {@code delay}, as on a loaded machine.
	 * @param delay the least time a login takes
	 */
	void loginDelay(Duration delay) {
		this.loginDelay = delay;
	}

	/**
	 * Hold every login of {@code username} until {@link #releaseLogins()}.
	 * @param username the user whose logins wait
	 */
	void holdLogins(String username) {
		this.heldUser = username;
		this.gate = new CountDownLatch(1);
	}

	void releaseLogins() {
		this.gate.countDown();
	}

	/**
	 * Hold every execution of {@code sql} until {@link #releaseStatements()}.
	 * @param sql the statement that waits
	 */
	void holdStatements(String sql) {
		this.statementGate = new CountDownLatch(1);
		this.heldSql = sql;
	}

	void releaseStatements() {
		this.statementGate.countDown();
	}

	int heldStatements() {
		return this.heldStatements.get();
	}

	/**
	 * Return how many logins of {@code username} are waiting at the gate.
	 * @param username the user
	 * @return the held logins
	 */
	int heldLogins(String username) {
		AtomicInteger held = this.heldLogins.get(username);
		return (held != null) ? held.get() : 0;
	}

	/**
	 * Return how many logins the database accepted so far.
	 * @return the successful logins
	 */
	int logins() {
		return this.logins.get();
	}

	int open(DatabaseCredentials credentials) {
		return (int) this.connections.stream()
			.filter((connection) -> connection.credentials.equals(credentials) && !connection.closed)
			.count();
	}

	/**
	 * Return how many connections of {@code credentials} were ever opened, closed ones included.
	 * @param credentials the credentials
	 * @return the connections opened
	 */
	int opened(DatabaseCredentials credentials) {
		return (int) this.connections.stream().filter((connection) -> connection.credentials.equals(credentials)).count();
	}

	int open() {
		return (int) this.connections.stream().filter((connection) -> !connection.closed).count();
	}

	List<FakeConnection> connections() {
		return this.connections;
	}

	List<String> statements() {
		return this.statements;
	}

	Properties lastLogin() {
		return this.lastLogin;
	}

	@Override
	public Connection connect(String url, Properties info) throws SQLException {
		if (!acceptsURL(url)) {
			return null;
		}
		this.lastLogin = info;
		DatabaseCredentials credentials = new DatabaseCredentials(info.getProperty("user"),
				info.getProperty("password"));
		if (credentials.username().equals(this.heldUser)) {
			awaitGate(credentials.username());
		}
		if (!this.loginDelay.isZero()) {
			try {
				Thread.sleep(this.loginDelay.toMillis());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new SQLException("Interrupted while logging in", "08001", ex);
			}
		}
		if (!this.accepted.contains(credentials)) {
			throw new SQLException(
					"FATAL: password authentication failed for user \"" + credentials.username() + "\"", "28P01");
		}
		synchronized (this) {
			if (open() >= this.maxConnections) {
				throw new SQLException("FATAL: sorry, too many clients already", "53300");
			}
			FakeConnection connection = new FakeConnection(credentials);
			this.connections.add(connection);
			this.logins.incrementAndGet();
			return connection.proxy;
		}
	}

	private void awaitGate(String username) throws SQLException {
		await(this.gate, this.heldLogins.computeIfAbsent(username, (key) -> new AtomicInteger()), "login", "08001");
	}

	private void awaitStatementGate() throws SQLException {
		await(this.statementGate, this.heldStatements, "statement", "57014");
	}

	// Hold the caller at a gate, counted as held meanwhile; after 30 s it fails with the SQLState.
	private static void await(CountDownLatch gate, AtomicInteger held, String what, String sqlState)
			throws SQLException {
		held.incrementAndGet();
		try {
			if (!gate.await(30, TimeUnit.SECONDS)) {
				throw new SQLException(what + " held too long", sqlState);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new SQLException("interrupted", sqlState, ex);
		}
		finally {
			held.decrementAndGet();
		}
	}

	@Override
	public boolean acceptsURL(String url) {
		return this.url.equals(url);
	}

	@Override
	public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) {
		return new DriverPropertyInfo[0];
	}

	@Override
	public int getMajorVersion() {
		return 1;
	}

	@Override
	public int getMinorVersion() {
		return 0;
	}

	@Override
	public boolean jdbcCompliant() {
		return false;
	}

	@Override
	public Logger getParentLogger() throws SQLFeatureNotSupportedException {
		throw new SQLFeatureNotSupportedException();
	}

	@Override
	public void close() throws SQLException {
		releaseLogins();
		DriverManager.deregisterDriver(this);
	}

	/**
	 * A physical connection: answers what HikariCP asks of one and records the statements it runs.
	 */
	final class FakeConnection implements InvocationHandler {

		final DatabaseCredentials credentials;

		final Connection proxy;

		volatile boolean closed;

		FakeConnection(DatabaseCredentials credentials) {
			this.credentials = credentials;
			this.proxy = (Connection) Proxy.newProxyInstance(FakeDatabase.class.getClassLoader(),
					new Class<?>[] { Connection.class }, this);
		}

		@Override
		public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
			switch (method.getName()) {
				case "close" -> {
					this.closed = true;
					return null;
				}
				case "isClosed" -> {
					return this.closed;
				}
				case "isValid" -> {
					return !this.closed;
				}
				case "createStatement", "prepareStatement" -> {
					if (this.closed) {
						throw new SQLException("This connection has been closed.", "08003");
					}
					String sql = (args != null && args.length > 0 && args[0] instanceof String text) ? text : null;
					return statement(sql);
				}
				case "getAutoCommit" -> {
					return true;
				}
				case "getTransactionIsolation" -> {
					return Connection.TRANSACTION_READ_COMMITTED;
				}
				case "isWrapperFor" -> {
					return false;
				}
				case "unwrap" -> {
					throw new SQLException("Not a wrapper");
				}
				case "toString" -> {
					return "FakeConnection[" + this.credentials.username() + "]";
				}
				default -> {
					return otherwise(proxy, method, args);
				}
			}
		}

		private Statement statement(String preparedSql) {
			InvocationHandler handler = (proxy, method, args) -> {
				switch (method.getName()) {
					case "execute", "executeQuery", "executeUpdate" -> {
						String sql = (args != null && args.length > 0) ? (String) args[0] : preparedSql;
						if (sql != null && sql.equals(FakeDatabase.this.heldSql)) {
							awaitStatementGate();
						}
						if (FakeDatabase.this.revoked.contains(this.credentials)) {
							throw new SQLException("ERROR: permission denied for table items", "42501");
						}
						FakeDatabase.this.statements.add(this.credentials.username() + ": " + sql);
						return method.getName().equals("executeQuery") ? emptyResultSet()
								: defaultValue(method.getReturnType());
					}
					case "toString" -> {
						return "FakeStatement";
					}
					default -> {
						return otherwise(proxy, method, args);
					}
				}
			};
			Class<?> type = (preparedSql != null) ? java.sql.PreparedStatement.class : Statement.class;
			return (Statement) Proxy.newProxyInstance(FakeDatabase.class.getClassLoader(), new Class<?>[] { type },
					handler);
		}

		private static ResultSet emptyResultSet() {
			return (ResultSet) Proxy.newProxyInstance(FakeDatabase.class.getClassLoader(),
					new Class<?>[] { ResultSet.class }, FakeConnection::otherwise);
		}

		// Identity for equals and hashCode, zero, false or null for the rest.
		private static Object otherwise(Object proxy, Method method, Object[] args) {
			return switch (method.getName()) {
				case "hashCode" -> System.identityHashCode(proxy);
				case "equals" -> proxy == args[0];
				default -> defaultValue(method.getReturnType());
			};
		}

		private static Object defaultValue(Class<?> type) {
			return (type.isPrimitive() && type != void.class) ? Array.get(Array.newInstance(type, 1), 0) : null;
		}

	}

}
