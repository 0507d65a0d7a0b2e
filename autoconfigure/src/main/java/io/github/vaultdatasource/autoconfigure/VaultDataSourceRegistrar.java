package io.github.vaultdatasource.autoconfigure;

import java.sql.SQLException;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

import com.zaxxer.hikari.HikariDataSource;
import io.github.vaultdatasource.autoconfigure.VaultDataSourceProperties.AuthenticationMethod;
import io.github.vaultdatasource.jdbc.HikariCredentialRotator;
import io.github.vaultdatasource.jdbc.HikariCredentialRotator.RotationSettings;
import io.github.vaultdatasource.lease.ExecutorLeaseScheduler;
import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.lease.LeaseLifecycle.TokenSupport;
import io.github.vaultdatasource.lease.LeasePolicy;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.vault.DatabaseSecretsClient;
import io.github.vaultdatasource.vault.VaultDatabaseSecretsClient;
import io.github.vaultdatasource.vault.VaultRequestException;
import org.jspecify.annotations.Nullable;

import org.springframework.context.ApplicationEventPublisher;

/**
 * Puts HikariCP pools under Vault management: attaches a credential rotator before the pool
 * starts, issues the first credentials (so a Vault problem stops startup with a clear report),
 * runs the lease lifecycle, and on shutdown closes the pool and then revokes the lease.
 */
public class VaultDataSourceRegistrar {

	private final VaultDataSourceProperties properties;

	private final VaultConnectionDetails connection;

	private final DatabaseSecretsClient client;

	private final TokenSupport tokens;

	private final ApplicationEventPublisher events;

	private final ManagedLeases leases;

	private final Clock clock;

	private final Map<String, HikariDataSource> pools = new ConcurrentHashMap<>();

	public VaultDataSourceRegistrar(VaultDataSourceProperties properties, VaultConnectionDetails connection,
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
	public LeaseLifecycle manage(String name, HikariDataSource pool) {
		String role = VaultDataSourceConfiguration.requireRole(this.connection);
		checkUrl(pool.getJdbcUrl());
		LeaseLifecycle[] lifecycle = new LeaseLifecycle[1];
		HikariCredentialRotator rotator;
		try {
			rotator = HikariCredentialRotator.attach(pool, rotationSettings(), (username, sqlState) -> {
				if (lifecycle[0] != null) {
					lifecycle[0].credentialsRejected(username, sqlState);
				}
			});
		}
		catch (SQLException ex) {
			throw new VaultDataSourceException("No JDBC driver accepts spring.datasource.url=" + pool.getJdbcUrl() + ".",
					"Consider the following: put the PostgreSQL JDBC driver (org.postgresql:postgresql) on the "
							+ "classpath and check spring.datasource.url.",
					ex);
		}
		LeaseLifecycle created = new LeaseLifecycle(name, role, this.client, rotator,
				new ExecutorLeaseScheduler(name, this.properties.getLease().getShutdownTimeout()), this.clock, policy(),
				this.events, this.tokens);
		lifecycle[0] = created;
		try {
			created.start();
		}
		catch (VaultRequestException ex) {
			throw startupFailure(ex);
		}
		this.leases.register(created);
		this.pools.put(name, pool);
		return created;
	}

	/**
	 * Stop managing a pool: stop the lifecycle, close the pool, then revoke the lease if configured.
	 * @param name the data source bean name
	 */
	public void release(String name) {
		HikariDataSource pool = this.pools.remove(name);
		this.leases.get(name).ifPresent((lifecycle) -> {
			lifecycle.stop(() -> {
				if (pool != null) {
					pool.close();
				}
			}, this.properties.getLease().isRevokeOnShutdown());
			this.leases.remove(name);
		});
	}

	/**
	 * Return whether a pool is managed.
	 * @param name the data source bean name
	 * @return whether it is managed
	 */
	public boolean isManaged(String name) {
		return this.pools.containsKey(name);
	}

	private RotationSettings rotationSettings() {
		VaultDataSourceProperties.Rotation rotation = this.properties.getRotation();
		return new RotationSettings(rotation.getValidationTimeout(), rotation.getSweepInterval(), rotation.isSurge(),
				rotation.getSurgeFactor());
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

	private VaultDataSourceException startupFailure(VaultRequestException ex) {
		String path = this.client.credentialsPath();
		String uri = String.valueOf(this.connection.getUri());
		return switch (ex.getFailure()) {
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
			case NOT_FOUND, REJECTED, LEASE_GONE -> new VaultDataSourceException(
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
