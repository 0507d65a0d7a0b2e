package io.github.vaultdatasource.testcontainers;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.github.dockerjava.api.command.InspectContainerResponse;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.log.LogMessage;

/**
 * An OpenBao (or HashiCorp Vault) dev server whose database secrets engine issues short-lived
 * users of a {@link PostgreSQLContainer} on the same {@link Network}, configured over the HTTP API
 * once both run: a management user in PostgreSQL ({@code CREATEROLE}, {@code NOINHERIT}), an owner
 * role the issued users join and get all their table access from, {@code database/config} pointing
 * at the PostgreSQL container's network alias, {@code rotate-root} (so only OpenBao knows the
 * management password), a role whose users expire with {@code VALID UNTIL} and whose revocation
 * ends their open sessions, and optionally an AppRole login limited to that role.
 * <p>
 * Use it with {@code @ServiceConnection} to give an application's vault-datasource its address,
 * login, mount and role. Configured only over the HTTP API both servers speak, so that the
 * {@code openbao/openbao} and {@code hashicorp/vault} images can serve; this project's tests have
 * run it only on a local stand-in for the OpenBao image (no registry is reachable where they run).
 */
public class OpenBaoContainer extends GenericContainer<OpenBaoContainer> {

	/**
	 * The official OpenBao image.
	 */
	public static final DockerImageName OPENBAO_IMAGE = DockerImageName.parse("openbao/openbao");

	/**
	 * HashiCorp's Vault image, which speaks the same API.
	 */
	public static final DockerImageName VAULT_IMAGE = DockerImageName.parse("hashicorp/vault");

	/**
	 * The OpenBao version used when no image is given.
	 */
	public static final String DEFAULT_TAG = "2.7.2";

	/**
	 * The port the dev server listens on in the container.
	 */
	public static final int PORT = 8200;

	private static final Log logger = LogFactory.getLog(OpenBaoContainer.class);

	private static final JsonMapper json = JsonMapper.builder().build();

	private String rootToken = "vds-root-" + UUID.randomUUID();

	private @Nullable PostgreSQLContainer postgres;

	private String databaseMount = "database";

	private String databaseRole = "app";

	private Duration defaultTtl = Duration.ofHours(1);

	private Duration maxTtl = Duration.ofHours(24);

	private String managementUser = "vault_mgmt";

	private String ownerRole = "app_owner";

	private @Nullable List<String> creationStatements;

	private @Nullable List<String> revocationStatements;

	private boolean ownerSession;

	private boolean appRole;

	private @Nullable String appRoleId;

	private @Nullable String appRoleSecretId;

	/**
	 * Create a container from the official OpenBao image at {@link #DEFAULT_TAG}.
	 */
	public OpenBaoContainer() {
		this(OPENBAO_IMAGE.withTag(DEFAULT_TAG));
	}

	/**
	 * Create a container from an image.
	 * @param image the image, such as {@code openbao/openbao:2.7.2} or {@code hashicorp/vault:1.20}
	 */
	public OpenBaoContainer(String image) {
		this(DockerImageName.parse(image));
	}

	/**
	 * Create a container from an image; a local stand-in declares itself with
	 * {@code asCompatibleSubstituteFor("openbao/openbao")}.
	 * @param image the image
	 */
	public OpenBaoContainer(DockerImageName image) {
		super(image);
		image.assertCompatibleWith(OPENBAO_IMAGE, VAULT_IMAGE);
		withExposedPorts(PORT);
		// The root token and listen address are set in configure(), as the images' entrypoints expect.
		withEnv("SKIP_SETCAP", "true");
		waitingFor(Wait.forHttp("/v1/sys/health").forPort(PORT).forStatusCode(200));
	}

	@Override
	protected void configure() {
		if (this.ownerSession && this.creationStatements != null) {
			throw new IllegalStateException("withOwnerSession() shapes the default creation statements; with "
					+ "withCreationStatements(...) add ALTER ROLE \"{{name}}\" SET role = '" + this.ownerRole
					+ "'; to your own statements instead");
		}
		String listen = "0.0.0.0:" + PORT;
		withEnv("BAO_DEV_ROOT_TOKEN_ID", this.rootToken);
		withEnv("VAULT_DEV_ROOT_TOKEN_ID", this.rootToken);
		withEnv("BAO_DEV_LISTEN_ADDRESS", listen);
		withEnv("VAULT_DEV_LISTEN_ADDRESS", listen);
	}

	/**
	 * Use a given root token (by default a random one).
	 * @param rootToken the root token
	 * @return this container
	 */
	public OpenBaoContainer withRootToken(String rootToken) {
		this.rootToken = rootToken;
		return this;
	}

	/**
	 * Issue users of this PostgreSQL container. Puts both containers on the PostgreSQL container's
	 * network (a new one if it has none) and starts PostgreSQL first.
	 * @param postgres the PostgreSQL container, not started yet or started on a network
	 * @return this container
	 */
	public OpenBaoContainer withDatabase(PostgreSQLContainer postgres) {
		if (postgres.getNetwork() == null) {
			postgres.withNetwork(Network.newNetwork());
		}
		this.postgres = postgres;
		withNetwork(postgres.getNetwork());
		dependsOn(postgres);
		return this;
	}

	/**
	 * Mount the database secrets engine at a path (by default {@code database}).
	 * @param databaseMount the mount path
	 * @return this container
	 */
	public OpenBaoContainer withDatabaseMount(String databaseMount) {
		this.databaseMount = databaseMount;
		return this;
	}

	/**
	 * Name the role that issues credentials (by default {@code app}).
	 * @param databaseRole the role name
	 * @return this container
	 */
	public OpenBaoContainer withDatabaseRole(String databaseRole) {
		this.databaseRole = databaseRole;
		return this;
	}

	/**
	 * Set the lease TTLs of issued credentials: leases of seconds make renewals and rotations
	 * happen within a test (for example 4 s and 10 s).
	 * @param defaultTtl the lease duration of new and renewed credentials
	 * @param maxTtl the longest a lease can be renewed to; then the application must rotate
	 * @return this container
	 */
	public OpenBaoContainer withTtl(Duration defaultTtl, Duration maxTtl) {
		this.defaultTtl = defaultTtl;
		this.maxTtl = maxTtl;
		return this;
	}

	/**
	 * Name the PostgreSQL user OpenBao manages users with (by default {@code vault_mgmt}).
	 * @param managementUser the user name
	 * @return this container
	 */
	public OpenBaoContainer withManagementUser(String managementUser) {
		this.managementUser = managementUser;
		return this;
	}

	/**
	 * Name the stable role that issued users join (by default {@code app_owner}): objects it owns
	 * stay usable from one issued user to the next.
	 * @param ownerRole the role name
	 * @return this container
	 */
	public OpenBaoContainer withOwnerRole(String ownerRole) {
		this.ownerRole = ownerRole;
		return this;
	}

	/**
	 * Make issued users' sessions act as the owner role: the default creation statements then also
	 * run {@code ALTER ROLE "{{name}}" SET role = '<owner role>'}. Use it when the application
	 * creates database objects, as Flyway or Liquibase do at startup: they then belong to the owner
	 * role, stay usable by the next issued user, and revoking the user that created them does not
	 * fail on objects it owns. {@code session_user} is still the issued user; {@code current_user}
	 * is the owner role.
	 * @return this container
	 */
	public OpenBaoContainer withOwnerSession() {
		this.ownerSession = true;
		return this;
	}

	/**
	 * Replace the SQL that creates an issued user; OpenBao fills in {@code {{name}}},
	 * {@code {{password}}} and {@code {{expiration}}}.
	 * @param statements the statements
	 * @return this container
	 */
	public OpenBaoContainer withCreationStatements(String... statements) {
		this.creationStatements = List.of(statements);
		return this;
	}

	/**
	 * Replace the SQL that removes an issued user when its lease is revoked or expires; OpenBao
	 * fills in {@code {{name}}}.
	 * @param statements the statements
	 * @return this container
	 */
	public OpenBaoContainer withRevocationStatements(String... statements) {
		this.revocationStatements = List.of(statements);
		return this;
	}

	/**
	 * Enable AppRole: a login whose policy may only issue credentials from the role and renew and
	 * revoke leases. A service connection then logs in with it instead of the root token.
	 * @return this container
	 */
	public OpenBaoContainer withAppRole() {
		this.appRole = true;
		return this;
	}

	/**
	 * Return the address of the server from the host.
	 * @return the address, such as {@code http://localhost:32771}
	 */
	public String getAddress() {
		return "http://" + getHost() + ":" + getMappedPort(PORT);
	}

	public String getRootToken() {
		return this.rootToken;
	}

	public String getDatabaseMount() {
		return this.databaseMount;
	}

	public String getDatabaseRole() {
		return this.databaseRole;
	}

	public Duration getDefaultTtl() {
		return this.defaultTtl;
	}

	public Duration getMaxTtl() {
		return this.maxTtl;
	}

	public String getOwnerRole() {
		return this.ownerRole;
	}

	public boolean isOwnerSession() {
		return this.ownerSession;
	}

	public boolean isAppRoleEnabled() {
		return this.appRole;
	}

	/**
	 * Return the AppRole role id, once started with {@link #withAppRole()}.
	 * @return the role id
	 */
	public String getAppRoleId() {
		return requireAppRole(this.appRoleId);
	}

	/**
	 * Return the AppRole secret id, once started with {@link #withAppRole()}.
	 * @return the secret id
	 */
	public String getAppRoleSecretId() {
		return requireAppRole(this.appRoleSecretId);
	}

	/**
	 * Return the ids of the role's leases that OpenBao still knows, newest state from the server.
	 * @return the lease ids
	 */
	public List<String> getLeaseIds() {
		String prefix = this.databaseMount + "/creds/" + this.databaseRole + "/";
		Answer answer = api("GET", "sys/leases/lookup/" + prefix + "?list=true", null);
		if (answer.status() == 404) {
			return List.of();
		}
		answer.expectSuccess("list the leases of " + prefix);
		List<String> ids = new ArrayList<>();
		answer.body().path("data").path("keys").forEach((key) -> ids.add(prefix + key.asString()));
		return ids;
	}

	@Override
	protected void containerIsStarted(InspectContainerResponse containerInfo) {
		if (this.postgres != null) {
			configureDatabase(this.postgres);
		}
		if (this.appRole) {
			configureAppRole();
		}
	}

	private void configureDatabase(PostgreSQLContainer postgres) {
		List<String> aliases = postgres.getNetworkAliases();
		if (postgres.getNetwork() == null || !postgres.getNetwork().equals(getNetwork()) || aliases.isEmpty()) {
			throw new IllegalStateException("OpenBao reaches PostgreSQL over a shared Network: start the "
					+ "PostgreSQL container on the network given to withDatabase, with a network alias");
		}
		String database = postgres.getDatabaseName();
		String password = UUID.randomUUID().toString();
		setUpDatabase(postgres, database, password);
		api("POST", "sys/mounts/" + this.databaseMount, Map.of("type", "database"))
			.expectSuccess("enable the database secrets engine at " + this.databaseMount);
		Map<String, Object> config = new LinkedHashMap<>();
		config.put("plugin_name", "postgresql-database-plugin");
		config.put("allowed_roles", "*");
		config.put("connection_url", "postgresql://{{username}}:{{password}}@" + aliases.get(0) + ":"
				+ PostgreSQLContainer.POSTGRESQL_PORT + "/" + database + "?sslmode=disable");
		config.put("username", this.managementUser);
		config.put("password", password);
		config.put("password_authentication", "scram-sha-256");
		api("POST", this.databaseMount + "/config/" + database, config)
			.expectSuccess("configure the connection to PostgreSQL");
		// From here on only OpenBao knows the management user's password.
		api("POST", this.databaseMount + "/rotate-root/" + database, null).expectSuccess("rotate-root");
		Map<String, Object> role = new LinkedHashMap<>();
		role.put("db_name", database);
		role.put("creation_statements",
				(this.creationStatements != null) ? this.creationStatements : defaultCreationStatements(database));
		role.put("revocation_statements",
				(this.revocationStatements != null) ? this.revocationStatements : defaultRevocationStatements(database));
		role.put("default_ttl", this.defaultTtl.toSeconds() + "s");
		role.put("max_ttl", this.maxTtl.toSeconds() + "s");
		api("POST", this.databaseMount + "/roles/" + this.databaseRole, role)
			.expectSuccess("create role " + this.databaseRole);
		logger.info(LogMessage.format("OpenBao issues users of PostgreSQL database %s from %s/creds/%s "
				+ "(default TTL %s, max TTL %s)", database, this.databaseMount, this.databaseRole, this.defaultTtl,
				this.maxTtl));
	}

	/**
	 * The management user may create users in the owner role and end their sessions
	 * ({@code pg_signal_backend}); it does not inherit the owner role, so it holds no table access
	 * of its own. Issued users get all their table access from the owner role: grants on
	 * {@code ALL TABLES} in the creation statements would fail, and issuing with them, as soon as
	 * the application created a table the management user holds nothing on (Flyway's history
	 * table, for one). The owner role may create in {@code public} and use the tables and sequences
	 * of the container's user, those the init script made and those made later. The management
	 * user also holds those with grant option, for creation statements of your own that grant
	 * them.
	 */
	private void setUpDatabase(PostgreSQLContainer postgres, String database, String password) {
		String mgmt = quote(this.managementUser);
		String owner = quote(this.ownerRole);
		List<String> statements = List.of(
				"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + this.ownerRole
						+ "') THEN CREATE ROLE " + owner + " NOLOGIN; END IF; END $$",
				"CREATE ROLE " + mgmt + " WITH LOGIN CREATEROLE NOINHERIT PASSWORD '" + password + "'",
				"GRANT " + owner + " TO " + mgmt + " WITH ADMIN OPTION", "GRANT pg_signal_backend TO " + mgmt,
				"GRANT CONNECT ON DATABASE " + quote(database) + " TO " + mgmt + " WITH GRANT OPTION",
				"GRANT CREATE ON SCHEMA public TO " + owner,
				"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + owner,
				"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + owner,
				"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO " + owner,
				"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO " + owner,
				"GRANT USAGE ON SCHEMA public TO " + mgmt + " WITH GRANT OPTION",
				"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + mgmt
						+ " WITH GRANT OPTION",
				"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + mgmt + " WITH GRANT OPTION");
		try (Connection connection = postgres.createConnection(""); Statement statement = connection.createStatement()) {
			for (String sql : statements) {
				statement.execute(sql);
			}
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not prepare PostgreSQL for OpenBao: " + ex.getMessage(), ex);
		}
	}

	private List<String> defaultCreationStatements(String database) {
		List<String> statements = new ArrayList<>();
		statements.add("CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' "
				+ "IN ROLE " + quote(this.ownerRole) + ";");
		statements.add("GRANT CONNECT ON DATABASE " + quote(database) + " TO \"{{name}}\";");
		if (this.ownerSession) {
			statements.add("ALTER ROLE \"{{name}}\" SET role = '" + this.ownerRole + "';");
		}
		return statements;
	}

	/**
	 * Ends the sessions still open under the user (vault-datasource has closed its own by then),
	 * since an owner-session user's sessions would otherwise keep acting as the owner role, then
	 * drops it. The management user does not inherit {@code pg_signal_backend} (it is
	 * {@code NOINHERIT}; PostgreSQL 15 has no per-grant {@code INHERIT}), so it takes that role for
	 * the one statement; OpenBao runs revocation statements in a transaction, which
	 * {@code SET LOCAL} does not outlive.
	 */
	private static List<String> defaultRevocationStatements(String database) {
		return List.of("REVOKE CONNECT ON DATABASE " + quote(database) + " FROM \"{{name}}\";",
				"SET LOCAL ROLE pg_signal_backend;",
				"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}';", "RESET ROLE;",
				"DROP ROLE IF EXISTS \"{{name}}\";");
	}

	private void configureAppRole() {
		String name = "vds-" + this.databaseRole;
		String policy = String.join("\n",
				"path \"" + this.databaseMount + "/creds/" + this.databaseRole + "\" { capabilities = [\"read\"] }",
				"path \"sys/leases/renew\" { capabilities = [\"update\"] }",
				"path \"sys/leases/revoke\" { capabilities = [\"update\"] }");
		api("PUT", "sys/policies/acl/" + name, Map.of("policy", policy)).expectSuccess("create policy " + name);
		api("POST", "sys/auth/approle", Map.of("type", "approle")).expectSuccess("enable AppRole");
		api("POST", "auth/approle/role/" + name, Map.of("token_policies", List.of(name)))
			.expectSuccess("create AppRole " + name);
		this.appRoleId = api("GET", "auth/approle/role/" + name + "/role-id", null).expectSuccess("read role id")
			.body()
			.path("data")
			.path("role_id")
			.asString();
		this.appRoleSecretId = api("POST", "auth/approle/role/" + name + "/secret-id", null)
			.expectSuccess("create secret id")
			.body()
			.path("data")
			.path("secret_id")
			.asString();
	}

	/**
	 * Call the server's HTTP API with the root token, for set-up or inspection in a test.
	 * @param method the HTTP method, including {@code LIST}
	 * @param path the path below {@code /v1/}
	 * @param body the request body, turned into JSON, or {@code null}
	 * @return the status and JSON body
	 */
	public Answer api(String method, String path, @Nullable Object body) {
		return apiAs(this.rootToken, method, path, body);
	}

	/**
	 * Call the server's HTTP API with a given token, for example one of an AppRole login.
	 * @param token the token, or {@code null} to send none (as a login does)
	 * @param method the HTTP method
	 * @param path the path below {@code /v1/}
	 * @param body the request body, turned into JSON, or {@code null}
	 * @return the status and JSON body
	 */
	public Answer apiAs(@Nullable String token, String method, String path, @Nullable Object body) {
		try {
			HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(getAddress() + "/v1/" + path))
				.timeout(Duration.ofSeconds(30))
				.method(method, (body != null) ? HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))
						: HttpRequest.BodyPublishers.noBody());
			if (token != null) {
				request.header("X-Vault-Token", token);
			}
			HttpResponse<String> response = HttpClient.newHttpClient()
				.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
			JsonNode parsed = response.body().isBlank() ? json.createObjectNode() : json.readTree(response.body());
			return new Answer(method + " " + path, response.statusCode(), parsed);
		}
		catch (IOException ex) {
			throw new IllegalStateException("OpenBao API " + method + " " + path + " failed: " + ex.getMessage(), ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted calling OpenBao API " + method + " " + path, ex);
		}
	}

	private String requireAppRole(@Nullable String value) {
		if (!this.appRole) {
			throw new IllegalStateException("AppRole is not enabled: call withAppRole() before the container starts");
		}
		if (value == null) {
			throw new IllegalStateException("The container has not started yet");
		}
		return value;
	}

	private static String quote(String identifier) {
		if (!identifier.matches("[A-Za-z0-9_-]+")) {
			throw new IllegalArgumentException("Unsupported PostgreSQL identifier: " + identifier);
		}
		return "\"" + identifier + "\"";
	}

	/**
	 * An answer of the HTTP API.
	 *
	 * @param request the method and path asked for
	 * @param status the HTTP status
	 * @param body the JSON body (an empty object when there was none)
	 */
	public record Answer(String request, int status, JsonNode body) {

		/**
		 * Fail unless the status is 2xx.
		 * @param what what was asked for, for the failure message
		 * @return this answer
		 */
		public Answer expectSuccess(String what) {
			if (this.status < 200 || this.status > 299) {
				// errors only: OpenBao does not echo tokens or passwords in them
				throw new IllegalStateException("OpenBao could not " + what + " (" + this.request + ", HTTP "
						+ this.status + "): " + this.body.path("errors"));
			}
			return this;
		}

		@Override
		public String toString() {
			return "Answer[" + this.request + " -> " + this.status + "]";
		}

	}

}
