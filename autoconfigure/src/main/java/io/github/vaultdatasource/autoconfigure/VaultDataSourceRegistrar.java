package io.github.vaultdatasource.autoconfigure;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;

import com.zaxxer.hikari.HikariDataSource;
import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.DatabaseCredentials;
import io.github.vaultdatasource.autoconfigure.VaultDataSourceProperties.AuthenticationMethod;
import io.github.vaultdatasource.jdbc.HikariCredentialRotator;
import io.github.vaultdatasource.jdbc.HikariCredentialRotator.RejectionListener;
import io.github.vaultdatasource.jdbc.HikariCredentialRotator.RotationSettings;
import io.github.vaultdatasource.lease.CredentialsValidationException;
import io.github.vaultdatasource.lease.LeaseExecutor;
import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.lease.LeaseLifecycle.Prefetched;
import io.github.vaultdatasource.lease.LeaseLifecycle.TokenSupport;
import io.github.vaultdatasource.lease.LeasePolicy;
import io.github.vaultdatasource.lease.LeaseScheduler;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.vault.DatabaseSecretsClient;
import io.github.vaultdatasource.vault.VaultDatabaseSecretsClient;
import io.github.vaultdatasource.vault.VaultRequestException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextRefreshedEvent;
import org.springframework.util.StringUtils;

/**
 * Puts HikariCP pools under Vault management: attaches a credential rotator before the pool
 * starts, issues the first credentials and checks the database accepts them (so a Vault or
 * database problem stops startup with a clear report), runs the lease lifecycle on the library's
 * private threads, and on shutdown closes the pool and then revokes the leases. Machinery of the
 * auto-configuration, not an API.
 * <p>
 * What only warns or refines the plan (the token's capabilities, the role's {@code max_ttl}) waits
 * until the application context is refreshed: the pools' start keeps the CPU to itself.
 */
final class VaultDataSourceRegistrar implements DisposableBean, ApplicationListener<ContextRefreshedEvent> {

	private static final Log logger = LogFactory.getLog(VaultDataSourceRegistrar.class);

	/**
	 * The Vault role a data source gets its credentials from.
	 *
	 * @param dataSource the data source bean name
	 * @param mount the mount path of the database secrets engine
	 * @param role the role
	 * @param staticRole whether it is a static role
	 * @param property the property prefix that configured it, for messages
	 */
	record ManagedRole(String dataSource, String mount, String role, boolean staticRole, String property) {

	}

	private final VaultDataSourceProperties properties;

	private final VaultConnectionDetails connection;

	private final DatabaseSecretsClient client;

	private final TokenSupport tokens;

	private final ApplicationEventPublisher events;

	private final ManagedLeases leases;

	private final Clock clock;

	private final LeaseExecutor executor = new LeaseExecutor();

	private final Map<String, HikariDataSource> pools = new ConcurrentHashMap<>();

	private final Map<String, Prefetch> prefetched = new ConcurrentHashMap<>();

	// One strand for every pool's first credentials: one thread, not one per pool, at startup.
	private @Nullable LeaseScheduler prefetches;

	// One strand for every pool's checks after the start: released together at the refresh, they
	// would otherwise each take a thread of their own on their pool's calls strand.
	private @Nullable LeaseScheduler checks;

	// The starts of pools managed while the context creates its singletons, until startPending().
	private final Map<String, PendingStart> pending = new ConcurrentHashMap<>();

	private volatile boolean startsPending = true;

	// The tasks held until the context is refreshed; null once it is.
	private @Nullable List<Runnable> untilRefreshed = new ArrayList<>();

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
	 * Return which Vault role, if any, a pool gets its credentials from: the one named for it in
	 * {@code vault.datasources.<bean name>}, or {@code vault.database.*} for Boot's own
	 * {@code dataSource} (or the application's only data source). Next to
	 * {@code vault.datasources}, the short form applies only when {@code vault.database.role} is
	 * set. Other pools are left alone.
	 * @param name the data source bean name
	 * @param onlyDataSource whether it is the only DataSource bean of the context
	 * @return the role, empty when the pool is not to be managed
	 */
	Optional<ManagedRole> roleFor(String name, boolean onlyDataSource) {
		VaultDataSourceProperties.ManagedDataSource named = this.properties.getDatasources().get(name);
		if (named != null) {
			String property = "vault.datasources." + name;
			if (!StringUtils.hasText(named.getRole())) {
				throw new VaultDataSourceException(property + ".role is not set: it is the role of the database "
						+ "secrets engine that data source '" + name + "' gets its credentials from.",
						"Consider the following: set " + property + ".role, for example " + property + ".role=reporting.",
						null);
			}
			String mount = StringUtils.hasText(named.getMount()) ? named.getMount() : this.connection.getDatabaseMount();
			return Optional.of(new ManagedRole(name, mount, named.getRole(), named.isStaticRole(), property));
		}
		boolean anyNamed = !this.properties.getDatasources().isEmpty();
		boolean bootsOwn = "dataSource".equals(name) || (onlyDataSource && !anyNamed);
		if (!bootsOwn || (anyNamed && !StringUtils.hasText(this.connection.getDatabaseRole()))) {
			return Optional.empty();
		}
		return Optional.of(new ManagedRole(name, this.connection.getDatabaseMount(),
				VaultDataSourceConfiguration.requireRole(this.connection), this.properties.getDatabase().isStaticRole(),
				"vault.database"));
	}

	/**
	 * Manage a pool that has not started yet. While the context creates its singletons, the pool's
	 * start (taking its first credentials, checking them with one connection) runs on the library's
	 * prefetch strand, and the context goes on creating its other beans meanwhile;
	 * {@link #startPending()} then waits for it before the context is refreshed, so a failure still
	 * stops startup. A pool used before that waits for its start. Later (a lazy pool), the start runs
	 * at once.
	 * @param pool the pool
	 * @param role the Vault role it gets its credentials from
	 */
	void manage(HikariDataSource pool, ManagedRole role) {
		String name = role.dataSource();
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
		if (!this.startsPending) {
			start(pool, role, rotator, policy);
			return;
		}
		PendingStart pending = new PendingStart(() -> start(pool, role, rotator, policy));
		this.pending.put(name, pending);
		rotator.beforeFirstLogin(pending::run);
		prefetchStrand().schedule(() -> {
			try {
				pending.run();
			}
			catch (RuntimeException ex) {
				// Thrown again where the start is waited for: startPending() or the pool's first login.
			}
		}, Duration.ZERO);
	}

	private void start(HikariDataSource pool, ManagedRole role, HikariCredentialRotator rotator, LeasePolicy policy) {
		String name = role.dataSource();
		// Taken only now, after everything that can fail first: until here, a failure leaves credentials
		// asked for ahead where discardUnclaimed() revokes them; from here, claim() hands them on.
		Prefetch prefetch = this.prefetched.remove(name);
		if (prefetch != null && !prefetch.role().equals(role)) {
			discard(prefetch);
			prefetch = null;
		}
		DatabaseSecretsClient client = (prefetch != null) ? prefetch.client() : clientFor(role);
		LeaseLifecycle lifecycle = new LeaseLifecycle(name, role.role(), client, rotator,
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
		lifecycle.runChecksAfterStart((checks) -> afterRefresh(() -> checksStrand().schedule(checks, Duration.ZERO)));
		try {
			lifecycle.start(this.properties.getDatabase().isValidateOnStartup(),
					(prefetch != null) ? claim(prefetch) : null);
		}
		catch (VaultRequestException ex) {
			throw startupFailure(ex, client, role);
		}
		catch (CredentialsValidationException ex) {
			throw validationFailure(ex, pool.getJdbcUrl(), client);
		}
		this.leases.register(lifecycle);
		this.pools.put(name, pool);
	}

	/**
	 * Wait for the starts of the pools created while the context created its singletons, and start
	 * any that has not begun; pools managed from now on start at once.
	 * @throws VaultDataSourceException (or another runtime exception) of the first pool whose start
	 * failed, as its bean's creation would have thrown it
	 */
	void startPending() {
		this.startsPending = false;
		for (String name : List.copyOf(this.pending.keySet())) {
			PendingStart pending = this.pending.get(name);
			if (pending != null) {
				pending.run();
				this.pending.remove(name);
			}
		}
	}

	/**
	 * Ask Vault for a pool's first credentials now, on the library's threads (one after the other, in
	 * the order asked), while the rest of the application starts: {@link #manage} then takes them instead of waiting for Vault's answer, and
	 * checks them, and reports Vault's errors, as it does credentials it issues itself. Credentials
	 * that no pool takes are revoked ({@link #discardUnclaimed()}).
	 * @param role the role, as {@link #roleFor} gives it for the pool's bean name
	 */
	void prefetch(ManagedRole role) {
		DatabaseSecretsClient client = clientFor(role);
		Prefetch prefetch = new Prefetch(role, client, new CompletableFuture<>());
		if (this.prefetched.putIfAbsent(role.dataSource(), prefetch) != null) {
			return;
		}
		prefetchStrand().schedule(() -> {
			Instant sent = this.clock.instant();
			try {
				CredentialLease issued = client.issue();
				prefetch.lease().complete(new Prefetched(issued, Duration.between(sent, this.clock.instant())));
			}
			catch (RuntimeException | Error ex) {
				prefetch.lease().completeExceptionally(ex);
			}
		}, Duration.ZERO);
	}

	/**
	 * Revoke the credentials issued ahead for pools that never came (a pool whose bean turned out
	 * not to be managed, or a startup that failed first).
	 */
	void discardUnclaimed() {
		for (String name : this.prefetched.keySet()) {
			Prefetch prefetch = this.prefetched.remove(name);
			if (prefetch != null) {
				discard(prefetch);
			}
		}
	}

	// Waits for Vault's answer; its failure is the pool's startup failure. Credentials that spent
	// more than half their TTL waiting for the pool are replaced by new ones.
	private @Nullable Prefetched claim(Prefetch prefetch) {
		Prefetched first;
		try {
			first = prefetch.lease().join();
		}
		catch (CompletionException ex) {
			if (ex.getCause() instanceof RuntimeException cause) {
				throw cause;
			}
			if (ex.getCause() instanceof Error cause) {
				throw cause;
			}
			throw ex;
		}
		CredentialLease lease = first.lease();
		Duration age = Duration.between(lease.issuedAt(), this.clock.instant());
		if (age.compareTo(lease.ttl().dividedBy(2)) > 0) {
			revokeUnused(prefetch, lease);
			return null;
		}
		return first;
	}

	private void discard(Prefetch prefetch) {
		Prefetched unused;
		try {
			unused = prefetch.lease().join();
		}
		catch (CompletionException | CancellationException ex) {
			return;
		}
		revokeUnused(prefetch, unused.lease());
	}

	private void revokeUnused(Prefetch prefetch, CredentialLease lease) {
		if (prefetch.client().isStatic()) {
			return;
		}
		try {
			prefetch.client().revoke(lease);
			logger.debug(String.format("Revoked lease %s, issued ahead for data source '%s' and not used",
					lease.shortLeaseId(), prefetch.role().dataSource()));
		}
		catch (RuntimeException ex) {
			logger.warn(String.format("Could not revoke lease %s, issued ahead for data source '%s' and not used "
					+ "(%s); it ends with its TTL", lease.shortLeaseId(), prefetch.role().dataSource(),
					ex.getMessage()));
		}
	}

	/**
	 * Fail when {@code vault.database.role} is set for the short form but no pool took it: several
	 * data sources, none of them called {@code dataSource}, and none named in
	 * {@code vault.datasources}. Without this, no pool would get credentials from Vault, silently.
	 * @param dataSources the names of the context's DataSource beans
	 */
	void checkShortFormUsed(String[] dataSources) {
		String role = this.connection.getDatabaseRole();
		if (dataSources.length < 2 || !this.properties.getDatasources().isEmpty() || !StringUtils.hasText(role)
				|| !this.pools.isEmpty()) {
			return;
		}
		throw new VaultDataSourceException("vault.database.role=" + role + " is set, but it applies only to the "
				+ "DataSource bean called 'dataSource' or to an application's only DataSource, and the DataSource "
				+ "beans are " + Arrays.toString(dataSources) + ": no pool gets credentials from Vault.",
				"Consider the following: name each pool that is to get credentials from Vault, for example "
						+ "vault.datasources." + dataSources[0] + ".role=" + role + ".",
				null);
	}

	// The short form uses the client bean (which a test or a user may replace); a named data source
	// gets a client of its own for its role, on the same Vault login.
	private DatabaseSecretsClient clientFor(ManagedRole role) {
		if (role.property().equals("vault.database")) {
			return this.client;
		}
		return this.client.forRole(role.mount(), role.role(), role.staticRole());
	}

	/**
	 * Stop managing a pool: stop the lifecycle, close the pool, then revoke the leases if configured.
	 * @param name the data source bean name
	 */
	void release(String name) {
		PendingStart pending = this.pending.remove(name);
		if (pending != null) {
			// Not begun: it never will, and the credentials asked for ahead are discarded. Running:
			// waits for it, and then stops what it started.
			pending.cancel();
		}
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
		return this.pools.containsKey(name) || this.pending.containsKey(name);
	}

	private synchronized LeaseScheduler prefetchStrand() {
		LeaseScheduler strand = this.prefetches;
		if (strand == null) {
			strand = this.executor.strand("vault-prefetch");
			this.prefetches = strand;
		}
		return strand;
	}

	private synchronized LeaseScheduler checksStrand() {
		LeaseScheduler strand = this.checks;
		if (strand == null) {
			strand = this.executor.strand("vault-checks");
			this.checks = strand;
		}
		return strand;
	}

	/**
	 * Run a task once the application context is refreshed: at once when it is already.
	 * @param task the task
	 */
	void afterRefresh(Runnable task) {
		synchronized (this) {
			List<Runnable> held = this.untilRefreshed;
			if (held != null) {
				held.add(task);
				return;
			}
		}
		task.run();
	}

	@Override
	public void onApplicationEvent(ContextRefreshedEvent event) {
		// A child context's event reaches its parent's listeners too: only this context's counts.
		if (event.getApplicationContext() != this.events) {
			return;
		}
		List<Runnable> held;
		synchronized (this) {
			held = this.untilRefreshed;
			this.untilRefreshed = null;
		}
		if (held != null) {
			try {
				held.forEach(Runnable::run);
			}
			catch (RejectedExecutionException ex) {
				// Closing already.
			}
		}
	}

	@Override
	public void destroy() {
		discardUnclaimed();
		this.executor.close();
	}

	/**
	 * A pool's start that runs once, on whichever thread comes first: the prefetch strand, the
	 * thread that waits for the pending starts, or a login of the pool. The others wait for it, and
	 * each gets its failure.
	 */
	private static final class PendingStart {

		private final Runnable start;

		private boolean begun;

		private boolean cancelled;

		private @Nullable RuntimeException failure;

		PendingStart(Runnable start) {
			this.start = start;
		}

		synchronized void run() {
			if (this.cancelled) {
				throw new IllegalStateException("The data source is closing; it was not started");
			}
			if (!this.begun) {
				this.begun = true;
				try {
					this.start.run();
				}
				catch (RuntimeException ex) {
					this.failure = ex;
				}
			}
			if (this.failure != null) {
				throw this.failure;
			}
		}

		synchronized void cancel() {
			if (!this.begun) {
				this.cancelled = true;
			}
		}

	}

	/**
	 * A pool's first credentials, asked for ahead of the pool.
	 *
	 * @param role the role they are for
	 * @param client the client that asks for them (and revokes them when no pool takes them)
	 * @param lease Vault's answer, when it comes
	 */
	private record Prefetch(ManagedRole role, DatabaseSecretsClient client, CompletableFuture<Prefetched> lease) {

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

	private VaultDataSourceException validationFailure(CredentialsValidationException ex, @Nullable String url,
			DatabaseSecretsClient client) {
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
				+ ex.getUsername() + "' that Vault issued from " + client.credentialsPath() + ": " + cause
				+ ((state != null) ? " (SQLState " + state + ")" : "") + ". The lease was revoked.",
				"Consider the following: " + hint + ".", ex);
	}

	private VaultDataSourceException startupFailure(VaultRequestException ex, DatabaseSecretsClient client,
			ManagedRole role) {
		String path = client.credentialsPath();
		String uri = String.valueOf(this.connection.getUri());
		return switch (ex.getFailure()) {
			case SERVER_ERROR -> new VaultDataSourceException(
					"Vault at " + uri + " failed to issue database credentials from " + path + ": " + ex.getMessage(),
					"Consider the following: Vault answered with an error of its own, often from the database: check "
							+ "the role's creation_statements and the connection Vault uses ('bao read "
							+ role.mount() + "/roles/" + role.role() + "', '" + role.mount()
							+ "/config/...') and Vault's server log.",
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
			case PERMISSION_DENIED -> permissionDenied(ex, client, path, uri);
			case NOT_FOUND, REJECTED, LEASE_GONE, MAX_TTL_REACHED -> new VaultDataSourceException(
					"Vault could not issue database credentials from " + path + ": " + ex.getMessage(),
					"Consider the following: check " + role.property() + ".role=" + role.role() + " and "
							+ role.property() + ".mount=" + role.mount() + "; the role must exist in the database "
							+ "secrets engine ('bao read " + role.mount() + (role.staticRole() ? "/static-roles/"
									: "/roles/")
							+ role.role() + "').",
					ex);
		};
	}

	private VaultDataSourceException permissionDenied(VaultRequestException ex, DatabaseSecretsClient client,
			String path, String uri) {
		boolean tokenAccepted = client instanceof VaultDatabaseSecretsClient vault && vault.isTokenAccepted();
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
						+ "  or check the role and mount configured for the data source (vault.database.* or "
						+ "vault.datasources.<name>.*).",
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
