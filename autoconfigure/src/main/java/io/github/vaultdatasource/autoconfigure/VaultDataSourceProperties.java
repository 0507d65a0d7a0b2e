package io.github.vaultdatasource.autoconfigure;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration properties for Vault-issued database credentials.
 */
@ConfigurationProperties("vault")
public class VaultDataSourceProperties {

	/**
	 * Whether the DataSource's credentials come from Vault.
	 */
	private boolean enabled = true;

	/**
	 * URI of the Vault or OpenBao server, or a comma-separated list of the nodes of one cluster:
	 * requests go to the node that answered last and move on to the others when it cannot serve.
	 * When not set, the environment variable VAULT_ADDR (or BAO_ADDR) gives it.
	 */
	private List<URI> uri = new ArrayList<>(List.of(URI.create("http://127.0.0.1:8200")));

	/**
	 * Namespace sent as X-Vault-Namespace (Vault Enterprise, OpenBao namespaces).
	 */
	private @Nullable String namespace;

	/**
	 * Timeout for connecting to Vault.
	 */
	private Duration connectionTimeout = Duration.ofSeconds(5);

	/**
	 * Timeout for reading Vault's answer.
	 */
	private Duration readTimeout = Duration.ofSeconds(15);

	/**
	 * How to log in to Vault.
	 */
	private AuthenticationMethod authentication = AuthenticationMethod.TOKEN;

	/**
	 * Vault token for token authentication.
	 */
	private @Nullable String token;

	/**
	 * File holding the Vault token for token authentication, such as a Vault Agent sink; read
	 * again whenever the agent writes a new token.
	 */
	private @Nullable String tokenFile;

	private final Ssl ssl = new Ssl();

	private final AppRole appRole = new AppRole();

	private final Jwt jwt = new Jwt();

	private final Cert cert = new Cert();

	private final Kubernetes kubernetes = new Kubernetes();

	private final Database database = new Database();

	/**
	 * Data sources whose credentials come from Vault, by DataSource bean name, each with its own
	 * role, mount and kind of role. Pools named neither here nor by vault.database.* keep their own
	 * credentials.
	 */
	private final Map<String, ManagedDataSource> datasources = new LinkedHashMap<>();

	private final Lease lease = new Lease();

	private final Rotation rotation = new Rotation();

	private final Health health = new Health();

	private final Metrics metrics = new Metrics();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public List<URI> getUri() {
		return this.uri;
	}

	public void setUri(List<URI> uri) {
		this.uri = uri;
	}

	public @Nullable String getNamespace() {
		return this.namespace;
	}

	public void setNamespace(@Nullable String namespace) {
		this.namespace = namespace;
	}

	public Duration getConnectionTimeout() {
		return this.connectionTimeout;
	}

	public void setConnectionTimeout(Duration connectionTimeout) {
		this.connectionTimeout = connectionTimeout;
	}

	public Duration getReadTimeout() {
		return this.readTimeout;
	}

	public void setReadTimeout(Duration readTimeout) {
		this.readTimeout = readTimeout;
	}

	public AuthenticationMethod getAuthentication() {
		return this.authentication;
	}

	public void setAuthentication(AuthenticationMethod authentication) {
		this.authentication = authentication;
	}

	public @Nullable String getToken() {
		return this.token;
	}

	public void setToken(@Nullable String token) {
		this.token = token;
	}

	public @Nullable String getTokenFile() {
		return this.tokenFile;
	}

	public void setTokenFile(@Nullable String tokenFile) {
		this.tokenFile = tokenFile;
	}

	public Ssl getSsl() {
		return this.ssl;
	}

	public AppRole getAppRole() {
		return this.appRole;
	}

	public Jwt getJwt() {
		return this.jwt;
	}

	public Cert getCert() {
		return this.cert;
	}

	public Kubernetes getKubernetes() {
		return this.kubernetes;
	}

	public Database getDatabase() {
		return this.database;
	}

	public Map<String, ManagedDataSource> getDatasources() {
		return this.datasources;
	}

	public Lease getLease() {
		return this.lease;
	}

	public Rotation getRotation() {
		return this.rotation;
	}

	public Health getHealth() {
		return this.health;
	}

	public Metrics getMetrics() {
		return this.metrics;
	}

	/**
	 * Ways to log in to Vault.
	 */
	public enum AuthenticationMethod {

		/**
		 * A static token ({@code vault.token}; it cannot be renewed past its own max TTL), or a token
		 * file kept current by an agent ({@code vault.token-file}).
		 */
		TOKEN,

		/**
		 * AppRole login with a role id and secret id.
		 */
		APPROLE,

		/**
		 * Kubernetes login with the pod's service account token.
		 */
		KUBERNETES,

		/**
		 * JWT/OIDC login with a workload identity token read from a file.
		 */
		JWT,

		/**
		 * TLS certificate login with the client certificate of the SSL bundle.
		 */
		CERT

	}

	/**
	 * TLS to Vault.
	 */
	public static class Ssl {

		/**
		 * Name of the SSL bundle (spring.ssl.bundle.pem.*, spring.ssl.bundle.jks.*) whose trust
		 * store verifies Vault's certificate and whose key store, if any, holds the client
		 * certificate for mutual TLS and vault.authentication=cert.
		 */
		private @Nullable String bundle;

		public @Nullable String getBundle() {
			return this.bundle;
		}

		public void setBundle(@Nullable String bundle) {
			this.bundle = bundle;
		}

	}

	/**
	 * JWT/OIDC authentication.
	 */
	public static class Jwt {

		/**
		 * Mount path of the JWT auth method.
		 */
		private String path = "jwt";

		/**
		 * Vault role to log in as.
		 */
		private @Nullable String role;

		/**
		 * File holding the workload identity token (a JWT); read again at every login.
		 */
		private @Nullable String tokenFile;

		public String getPath() {
			return this.path;
		}

		public void setPath(String path) {
			this.path = path;
		}

		public @Nullable String getRole() {
			return this.role;
		}

		public void setRole(@Nullable String role) {
			this.role = role;
		}

		public @Nullable String getTokenFile() {
			return this.tokenFile;
		}

		public void setTokenFile(@Nullable String tokenFile) {
			this.tokenFile = tokenFile;
		}

	}

	/**
	 * TLS certificate authentication.
	 */
	public static class Cert {

		/**
		 * Mount path of the TLS certificate auth method.
		 */
		private String path = "cert";

		/**
		 * Name of the certificate role to log in as; Vault picks the matching one when not set.
		 */
		private @Nullable String role;

		public String getPath() {
			return this.path;
		}

		public void setPath(String path) {
			this.path = path;
		}

		public @Nullable String getRole() {
			return this.role;
		}

		public void setRole(@Nullable String role) {
			this.role = role;
		}

	}

	/**
	 * AppRole authentication.
	 */
	public static class AppRole {

		/**
		 * Mount path of the AppRole auth method.
		 */
		private String path = "approle";

		/**
		 * Role id of the AppRole.
		 */
		private @Nullable String roleId;

		/**
		 * Secret id of the AppRole.
		 */
		private @Nullable String secretId;

		public String getPath() {
			return this.path;
		}

		public void setPath(String path) {
			this.path = path;
		}

		public @Nullable String getRoleId() {
			return this.roleId;
		}

		public void setRoleId(@Nullable String roleId) {
			this.roleId = roleId;
		}

		public @Nullable String getSecretId() {
			return this.secretId;
		}

		public void setSecretId(@Nullable String secretId) {
			this.secretId = secretId;
		}

	}

	/**
	 * Kubernetes authentication.
	 */
	public static class Kubernetes {

		/**
		 * Mount path of the Kubernetes auth method.
		 */
		private String path = "kubernetes";

		/**
		 * Vault role to log in as.
		 */
		private @Nullable String role;

		/**
		 * File holding the pod's service account token (a JWT).
		 */
		private String serviceAccountTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token";

		public String getPath() {
			return this.path;
		}

		public void setPath(String path) {
			this.path = path;
		}

		public @Nullable String getRole() {
			return this.role;
		}

		public void setRole(@Nullable String role) {
			this.role = role;
		}

		public String getServiceAccountTokenFile() {
			return this.serviceAccountTokenFile;
		}

		public void setServiceAccountTokenFile(String serviceAccountTokenFile) {
			this.serviceAccountTokenFile = serviceAccountTokenFile;
		}

	}

	/**
	 * Database secrets engine.
	 */
	public static class Database {

		/**
		 * Mount path of the database secrets engine.
		 */
		private String mount = "database";

		/**
		 * Role of the database secrets engine to issue credentials from, for the data source
		 * called dataSource, or for the application's only data source when vault.datasources is
		 * empty.
		 */
		private @Nullable String role;

		/**
		 * Whether the role is a static role (<mount>/static-creds/<role>): one database user whose
		 * password Vault rotates, instead of a new user per lease.
		 */
		private boolean staticRole;

		/**
		 * Whether startup checks, with one connection, that the database accepts the first
		 * credentials Vault issued, so that a wrong database URL stops the application at once.
		 */
		private boolean validateOnStartup = true;

		public String getMount() {
			return this.mount;
		}

		public void setMount(String mount) {
			this.mount = mount;
		}

		public @Nullable String getRole() {
			return this.role;
		}

		public void setRole(@Nullable String role) {
			this.role = role;
		}

		public boolean isStaticRole() {
			return this.staticRole;
		}

		public void setStaticRole(boolean staticRole) {
			this.staticRole = staticRole;
		}

		public boolean isValidateOnStartup() {
			return this.validateOnStartup;
		}

		public void setValidateOnStartup(boolean validateOnStartup) {
			this.validateOnStartup = validateOnStartup;
		}

	}

	/**
	 * One data source whose credentials come from Vault.
	 */
	public static class ManagedDataSource {

		/**
		 * Mount path of the database secrets engine; vault.database.mount when not set.
		 */
		private @Nullable String mount;

		/**
		 * Role of the database secrets engine to issue this data source's credentials from.
		 */
		private @Nullable String role;

		/**
		 * Whether the role is a static role (<mount>/static-creds/<role>).
		 */
		private boolean staticRole;

		public @Nullable String getMount() {
			return this.mount;
		}

		public void setMount(@Nullable String mount) {
			this.mount = mount;
		}

		public @Nullable String getRole() {
			return this.role;
		}

		public void setRole(@Nullable String role) {
			this.role = role;
		}

		public boolean isStaticRole() {
			return this.staticRole;
		}

		public void setStaticRole(boolean staticRole) {
			this.staticRole = staticRole;
		}

	}

	/**
	 * Lease renewal and rotation timing.
	 */
	public static class Lease {

		/**
		 * Share of the lease duration after which the lease is renewed, between 0 and 1.
		 */
		private double renewAt = 0.5;

		/**
		 * Relative random spread of renewal and rotation times, so a fleet does not call Vault in
		 * lockstep, between 0 and 0.5. Above 0, each instance's first rotation also comes at a
		 * random phase of its lease, a failed Vault call is retried after a random fifth to nine
		 * tenths of the lease's remaining validity, and a rotated lease is revoked a random
		 * moment (1 to 2 s on long leases) after its drain, dead credentials at once; 0 turns
		 * every random spread off.
		 */
		private double jitter = 0.1;

		/**
		 * Share of the lease duration kept for draining old connections: a lease that cannot be
		 * renewed further is rotated this long before it expires. Between 0 and 1.
		 */
		private double drainShare = 0.4;

		/**
		 * Least time kept for draining old connections.
		 */
		private Duration minDrainBudget = Duration.ofSeconds(1);

		/**
		 * First delay before retrying a rotation whose new credentials the database refused; it
		 * doubles on each failure. Failed Vault calls are retried after half to all of half the
		 * lease's remaining validity instead.
		 */
		private Duration retryInitialDelay = Duration.ofSeconds(1);

		/**
		 * Longest delay between retries of a rotation whose new credentials the database refused.
		 */
		private Duration retryMaxDelay = Duration.ofSeconds(30);

		/**
		 * Whether to revoke the lease when the application shuts down. When false, the Vault login
		 * token is not revoked either (Vault would revoke its leases with it).
		 */
		private boolean revokeOnShutdown = true;

		/**
		 * How long shutdown waits for a renewal or rotation under way before closing the pool and
		 * revoking the leases.
		 */
		private Duration shutdownTimeout = Duration.ofSeconds(10);

		public double getRenewAt() {
			return this.renewAt;
		}

		public void setRenewAt(double renewAt) {
			this.renewAt = renewAt;
		}

		public double getJitter() {
			return this.jitter;
		}

		public void setJitter(double jitter) {
			this.jitter = jitter;
		}

		public double getDrainShare() {
			return this.drainShare;
		}

		public void setDrainShare(double drainShare) {
			this.drainShare = drainShare;
		}

		public Duration getMinDrainBudget() {
			return this.minDrainBudget;
		}

		public void setMinDrainBudget(Duration minDrainBudget) {
			this.minDrainBudget = minDrainBudget;
		}

		public Duration getRetryInitialDelay() {
			return this.retryInitialDelay;
		}

		public void setRetryInitialDelay(Duration retryInitialDelay) {
			this.retryInitialDelay = retryInitialDelay;
		}

		public Duration getRetryMaxDelay() {
			return this.retryMaxDelay;
		}

		public void setRetryMaxDelay(Duration retryMaxDelay) {
			this.retryMaxDelay = retryMaxDelay;
		}

		public boolean isRevokeOnShutdown() {
			return this.revokeOnShutdown;
		}

		public void setRevokeOnShutdown(boolean revokeOnShutdown) {
			this.revokeOnShutdown = revokeOnShutdown;
		}

		public Duration getShutdownTimeout() {
			return this.shutdownTimeout;
		}

		public void setShutdownTimeout(Duration shutdownTimeout) {
			this.shutdownTimeout = shutdownTimeout;
		}

	}

	/**
	 * Switching the pool to new credentials.
	 */
	public static class Rotation {

		/**
		 * How long the validation query of new credentials may take.
		 */
		private Duration validationTimeout = Duration.ofSeconds(5);

		/**
		 * How often to check whether connections of the old credentials remain.
		 */
		private Duration sweepInterval = Duration.ofMillis(100);

		/**
		 * Whether connections with the new credentials are opened while the old ones still serve:
		 * up to the pool's size ahead of the switch, then, for any not opened by then, by growing
		 * the pool before evicting. When every old connection's successor was opened ahead, the old
		 * ones are swapped for them without growing the pool. Needs PostgreSQL max_connections
		 * headroom of one pool.
		 */
		private boolean surge = true;

		/**
		 * Maximum pool size during a surge, relative to the configured maximum pool size.
		 */
		private double surgeFactor = 2.0;

		/**
		 * Longest wait for the surge's new connections before the old ones are evicted; never more
		 * than half the time left to drain.
		 */
		private Duration surgeWait = Duration.ofSeconds(2);

		/**
		 * Whether a pooled connection whose statement failed with SQLState 42501 (permission
		 * denied) is evicted: a revoked user's connection then fails once instead of until the
		 * rotation. Turn off if the application meets permission errors as part of its normal work.
		 */
		private boolean evictOnPermissionDenied = true;

		public Duration getValidationTimeout() {
			return this.validationTimeout;
		}

		public void setValidationTimeout(Duration validationTimeout) {
			this.validationTimeout = validationTimeout;
		}

		public Duration getSweepInterval() {
			return this.sweepInterval;
		}

		public void setSweepInterval(Duration sweepInterval) {
			this.sweepInterval = sweepInterval;
		}

		public boolean isSurge() {
			return this.surge;
		}

		public void setSurge(boolean surge) {
			this.surge = surge;
		}

		public double getSurgeFactor() {
			return this.surgeFactor;
		}

		public void setSurgeFactor(double surgeFactor) {
			this.surgeFactor = surgeFactor;
		}

		public Duration getSurgeWait() {
			return this.surgeWait;
		}

		public void setSurgeWait(Duration surgeWait) {
			this.surgeWait = surgeWait;
		}

		public boolean isEvictOnPermissionDenied() {
			return this.evictOnPermissionDenied;
		}

		public void setEvictOnPermissionDenied(boolean evictOnPermissionDenied) {
			this.evictOnPermissionDenied = evictOnPermissionDenied;
		}

	}

	/**
	 * Health of the leases (management.health.vaultleases.enabled and
	 * management.health.vaultserver.enabled turn the indicators off).
	 */
	public static class Health {

		/**
		 * How close to expiry a lease whose renewal or rotation keeps failing turns the
		 * 'vaultLeases' health OUT_OF_SERVICE.
		 */
		private Duration expiryThreshold = Duration.ofMinutes(5);

		public Duration getExpiryThreshold() {
			return this.expiryThreshold;
		}

		public void setExpiryThreshold(Duration expiryThreshold) {
			this.expiryThreshold = expiryThreshold;
		}

	}

	/**
	 * Micrometer metrics of the leases.
	 */
	public static class Metrics {

		/**
		 * Whether to publish the vault.datasource.* metrics.
		 */
		private boolean enabled = true;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

	}

}
