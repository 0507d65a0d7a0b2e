package io.github.vaultdatasource.autoconfigure;

import java.sql.SQLException;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

import com.zaxxer.hikari.HikariDataSource;
import io.github.vaultdatasource.DatabaseCredentials;
import io.github.vaultdatasource.autoconfigure.VaultDataSourceProperties.AuthenticationMethod;
import io.github.vaultdatasource.jdbc.HikariCredentialRotator;
import io.github.vaultdatasource.jdbc.HikariCredentialRotator.RejectionListener;
import io.github.vaultdatasource.jdbc.HikariCredentialRotator.RotationSettings;
import io.github.vaultdatasource.lease.CredentialsValidationException;
import io.github.vaultdatasource.lease.LeaseExecutor;
import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.lease.LeaseLifecycle.TokenSupport;
import io.github.vaultdatasource.lease.LeasePolicy;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.vault.DatabaseSecretsClient;
import io.github.vaultdatasource.vault.VaultDatabaseSecretsClient;
import io.github.vaultdatasource.vault.VaultRequestException;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.ApplicationEventPublisher;

/**
 * Puts HikariCP pools under Vault management: attaches a credential rotator before the pool
 * starts, issues the first credentials and checks the database accepts them (so a Vault or
 * database problem stops startup with a clear report), runs the lease lifecycle on the library's
 * private threads, and on shutdown closes the pool and then revokes the leases. Machinery of the
 * auto-configuration, not an API.
 */
final class VaultDataSourceRegistrar implements DisposableBean {

	private final VaultDataSourceProperties properties;

	private final VaultConnectionDetails connection;

	private final DatabaseSecretsClient client;

	private final TokenSupport tokens;

	private final ApplicationEventPublisher events;

	private final ManagedLeases leases;

	private final Clock clock;

	private final LeaseExecutor executor = new LeaseExecutor();

	private final Map<String, HikariDataSource> pools = new ConcurrentHashMap<>();

	VaultDataSourceRegistrar(VaultDataSourceProperties properties, VaultConnectionDetails connection,
			DatabaseSecretsClient client, TokenSupport tokens, ApplicationEventPublisher events, ManagedLeases leases,
			Clock clock) {
		this.properties = properties;
		this.connection = connection;
		this.client = client;
		this.tokens = tokens;
		this.events = events;
		this.leases = leases;
		this.clock = clock;
	}

	/**
	 * Manage a pool that has not started yet.
	 * @param name the data source bean name
	 * @param pool the pool
	 * @return the lease lifecycle now running for it
	 */
	LeaseLifecycle manage(String name, HikariDataSource pool) {
		String role = VaultDataSourceConfiguration.requireRole(this.connection);
		checkUrl(pool.getJdbcUrl());
		LeasePolicy policy = policy();
		HikariCredentialRotator rotator;
		try {
			rotator = HikariCredentialRotator.attach(pool, rotationSettings());
		}
		catch (SQLException ex) {
			throw new VaultDataSourceException("No JDBC driver accepts spring.datasource.url=" + pool.getJdbcUrl() + ".",
					"Consider the following: put the PostgreSQL JDBC driver (org.postgresql:postgresql) on the "
							+ "classpath and check spring.datasource.url.",
					ex);
		}
		LeaseLifecycle lifecycle = new LeaseLifecycle(name, role, this.client, rotator,
				LeaseLifecycle.Strands.of(this.executor, name), this.clock, policy, this.events, this.tokens);
		rotator.onRejection(new RejectionListener() {

			@Override
			public void loginRejected(DatabaseCredentials credentials, String sqlState) {
				lifecycle.loginRejected(credentials, sqlState);
			}

			@Override
			public void permissionDenied() {
				lifecycle.permissionDenied();
			}

		});
		try {
			lifecycle.start(this.properties.getDatabase().isValidateOnStartup());
		}
		catch (VaultRequestException ex) {
			throw startupFailure(ex);
		}
		catch (CredentialsValidationException ex) {
			throw validationFailure(ex, pool.getJdbcUrl());
		}
		this.leases.register(lifecycle);
		this.pools.put(name, pool);
		return lifecycle;
	}

	/**
	 * Stop managing a pool: stop the lifecycle, close the pool, then revoke the leases if configured.
	 * @param name the data source bean name
	 */
	void release(String name) {
		HikariDataSource pool = this.pools.remove(name);
		this.leases.get(name).ifPresent((lifecycle) -> {
			VaultDataSourceProperties.Lease lease = this.properties.getLease();
			lifecycle.stop(() -> {
				if (pool != null) {
					pool.close();
				}
			}, lease.isRevokeOnShutdown(), lease.getShutdownTimeout());
			this.leases.remove(name);
		});
	}

	/**
	 * Return whether a pool is managed.
	 * @param name the data source bean name
	 * @return whether it is managed
	 */
	boolean isManaged(String name) {
		return this.pools.containsKey(name);
	}

	@Override
	public void destroy() {
		this.executor.close();
	}

	private RotationSettings rotationSettings() {
		VaultDataSourceProperties.Rotation rotation = this.properties.getRotation();
		return new RotationSettings(rotation.getValidationTimeout(), rotation.getSweepInterval(), rotation.isSurge(),
				rotation.getSurgeFactor(), rotation.getSurgeWait(), rotation.isEvictOnPermissionDenied());
	}

	private LeasePolicy policy() {
		VaultDataSourceProperties.Lease lease = this.properties.getLease();
		try {
			return new LeasePolicy(lease.getRenewAt(), lease.getJitter(), lease.getDrainShare(),
					lease.getMinDrainBudget(), lease.getRetryInitialDelay(), lease.getRetryMaxDelay(),
					ThreadLocalRandom.current());
		}
		catch (IllegalArgumentException ex) {
			throw new VaultDataSourceException("Invalid vault.lease settings: " + ex.getMessage() + ".",
					"Consider the following: set vault.lease.renew-at and vault.lease.drain-share between 0 and 1, "
							+ "and vault.lease.jitter between 0 and 0.5.",
					ex);
		}
	}

	private static void checkUrl(@Nullable String url) {
		if (url == null || url.isBlank()) {
			throw new VaultDataSourceException(
					"vault-datasource could not configure the DataSource: spring.datasource.url is not set.",
					"Consider the following: set spring.datasource.url, for example "
							+ "spring.datasource.url=jdbc:postgresql://db.example.com:5432/appdb.",
					null);
		}
		String lower = url.toLowerCase(Locale.ROOT);
		if (lower.contains("user=") || lower.contains("password=") || lower.matches("jdbc:[a-z]+://[^/]*@.*")) {
			throw new VaultDataSourceException(
					"spring.datasource.url carries a user or password; the driver would use them instead of the "
							+ "credentials Vault issues, and rotation would have no effect.",
					"Consider the following: remove user, password and user-info from spring.datasource.url; "
							+ "vault-datasource supplies them.",
					null);
		}
	}

	private VaultDataSourceException validationFailure(CredentialsValidationException ex, @Nullable String url) {
		String state = ex.getSqlState();
		String cause = (ex.getCause() != null) ? ex.getCause().getMessage() : ex.getMessage();
		String hint;
		if ("3D000".equals(state)) {
			hint = "the database named in spring.datasource.url does not exist: check its name";
		}
		else if (state != null && state.startsWith("08")) {
			hint = "PostgreSQL could not be reached at the host and port of spring.datasource.url: check them";
		}
		else if ("28P01".equals(state) || "28000".equals(state)) {
			hint = "PostgreSQL refused the user's password: check the role's creation_statements (PASSWORD "
					+ "'{{password}}', VALID UNTIL '{{expiration}}') and the database connection's password_authentication "
					+ "in Vault, and that spring.datasource.url points to the database Vault manages";
		}
		else if ("42501".equals(state)) {
			hint = "the user may not connect to this database: grant CONNECT on it to the role the creation "
					+ "statements put the user in";
		}
		else {
			hint = "check spring.datasource.url and the role's creation_statements";
		}
		return new VaultDataSourceException("The database at spring.datasource.url=" + url + " did not accept user '"
				+ ex.getUsername() + "' that Vault issued from " + this.client.credentialsPath() + ": " + cause
				+ ((state != null) ? " (SQLState " + state + ")" : "") + ". The lease was revoked.",
				"Consider the following: " + hint + ".", ex);
	}

	private VaultDataSourceException startupFailure(VaultRequestException ex) {
		String path = this.client.credentialsPath();
		String uri = String.valueOf(this.connection.getUri());
		return switch (ex.getFailure()) {
			case SERVER_ERROR -> new VaultDataSourceException(
					"Vault at " + uri + " failed to issue database credentials from " + path + ": " + ex.getMessage(),
					"Consider the following: Vault answered with an error of its own, often from the database: check "
							+ "the role's creation_statements and the connection Vault uses ('bao read "
							+ this.connection.getDatabaseMount() + "/roles/" + this.connection.getDatabaseRole()
							+ "', '" + this.connection.getDatabaseMount() + "/config/...') and Vault's server log.",
					ex);
			case UNAVAILABLE -> new VaultDataSourceException(
					"Vault at " + uri + " could not be reached, or is sealed, while issuing database credentials from "
							+ path + ": " + ex.getMessage(),
					"Consider the following: check that vault.uri=" + uri
							+ " points to a running, unsealed Vault or OpenBao server reachable from here "
							+ "(vault.connection-timeout, vault.read-timeout).",
					ex);
			case LOGIN_FAILED -> new VaultDataSourceException(
					"Logging in to Vault at " + uri + " with " + this.connection.getLogin().method() + " failed: "
							+ ex.getMessage(),
					loginAction(), ex);
			case PERMISSION_DENIED -> permissionDenied(ex, path, uri);
			case NOT_FOUND, REJECTED, LEASE_GONE, MAX_TTL_REACHED -> new VaultDataSourceException(
					"Vault could not issue database credentials from " + path + ": " + ex.getMessage(),
					"Consider the following: check vault.database.role=" + this.connection.getDatabaseRole()
							+ " and vault.database.mount=" + this.connection.getDatabaseMount()
							+ "; the role must exist in the database secrets engine ('bao read "
							+ this.connection.getDatabaseMount() + "/roles/" + this.connection.getDatabaseRole()
							+ "').",
					ex);
		};
	}

	private VaultDataSourceException permissionDenied(VaultRequestException ex, String path, String uri) {
		boolean tokenAccepted = this.client instanceof VaultDatabaseSecretsClient vault && vault.isTokenAccepted();
		if (!tokenAccepted && this.connection.getLogin().method() == AuthenticationMethod.TOKEN) {
			return new VaultDataSourceException(
					"Vault at " + uri + " rejected the token configured in vault.token (invalid, expired or revoked) "
							+ "while issuing database credentials from " + path + ".",
					"Consider the following: set vault.token to a valid token, or log in with "
							+ "vault.authentication=approle or kubernetes.",
					ex);
		}
		return new VaultDataSourceException(
				"The Vault token may not read " + path + " (Vault answered 403 permission denied).",
				"Consider the following: attach a policy to the token (or to the AppRole or Kubernetes role) with\n"
						+ "    path \"" + path + "\" { capabilities = [\"read\"] }\n"
						+ "    path \"sys/leases/renew\" { capabilities = [\"update\"] }\n"
						+ "    path \"sys/leases/revoke\" { capabilities = [\"update\"] }\n"
						+ "  or check vault.database.role and vault.database.mount.",
				ex);
	}

	private String loginAction() {
		VaultConnectionDetails.Login login = this.connection.getLogin();
		return switch (login.method()) {
			case APPROLE -> "Consider the following: check vault.app-role.role-id and vault.app-role.secret-id, "
					+ "and vault.app-role.path=" + ((VaultConnectionDetails.Login.AppRole) login).path()
					+ " (the AppRole auth mount).";
			case KUBERNETES -> "Consider the following: check vault.kubernetes.role="
					+ ((VaultConnectionDetails.Login.Kubernetes) login).role() + ", vault.kubernetes.path="
					+ ((VaultConnectionDetails.Login.Kubernetes) login).path()
					+ " and that vault.kubernetes.service-account-token-file holds a token Vault accepts.";
			case TOKEN -> "Consider the following: set vault.token to a valid token.";
			case JWT -> "Consider the following: check vault.jwt.role, vault.jwt.path and that vault.jwt.token-file "
					+ "holds a token the role's bound audiences, subject and claims accept.";
			case CERT -> "Consider the following: check that the client certificate of vault.ssl.bundle is trusted "
					+ "by a role of the cert auth method at vault.cert.path (vault.cert.role to pick one).";
		};
	}

}
