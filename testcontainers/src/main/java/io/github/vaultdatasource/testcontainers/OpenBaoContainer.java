package io.github.vaultdatasource.testcontainers;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
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

import org.springframework.core.log.LogMessage;

/**
 * An OpenBao (or HashiCorp Vault) dev server whose database secrets engine issues short-lived
 * users of a {@link PostgreSQLContainer} on the same {@link Network}, configured once both run:
 * in PostgreSQL, a management user ({@code CREATEROLE}, {@code NOINHERIT}) and an owner role the
 * issued users join and get all their access from, the right to connect included (the database
 * is closed to {@code PUBLIC}); in OpenBao, over the HTTP API,
 * {@code database/config} pointing at the PostgreSQL container's network alias,
 * {@code rotate-root} (so only OpenBao knows the management password), a role whose users expire
 * with {@code VALID UNTIL} and whose revocation ends their open sessions, and optionally an
 * AppRole login limited to that role.
 * <p>
 * The PostgreSQL statements are templates in
 * {@code io/github/vaultdatasource/testcontainers/postgresql/}, which {@code scripts/services.sh}
 * reads too. Use the container with {@code @ServiceConnection} to give an application's
 * vault-datasource its address, login, mount and role. Configured only over the HTTP API both
 * servers speak, so that the {@code openbao/openbao} and {@code hashicorp/vault} images can serve;
 * this project's tests have run it only on a local stand-in for the OpenBao image (no registry is
 * reachable where they run).
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

	private @Nullable OpenBaoAdminClient admin;

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
	 * {@code {{password}}} and {@code {{expiration}}}. Only the owner role, the management user and
	 * the container's user may connect to the database: a user that does not join the owner role
	 * needs {@code GRANT CONNECT ON DATABASE "<db>" TO "{{name}}"} here, and the revocation
	 * statements the matching {@code REVOKE} before {@code DROP ROLE}.
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

	public String getManagementUser() {
		return this.managementUser;
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
		return admin().leaseIds(this.databaseMount + "/creds/" + this.databaseRole + "/");
	}

	@Override
	protected void containerIsStarted(InspectContainerResponse containerInfo) {
		// A restarted container has a new mapped port.
		OpenBaoAdminClient admin = new OpenBaoAdminClient(getAddress(), this.rootToken);
		this.admin = admin;
		if (this.postgres != null) {
			configureDatabase(this.postgres, admin);
		}
		if (this.appRole) {
			OpenBaoAdminClient.AppRoleLogin login = admin.enableAppRole("vds-" + this.databaseRole,
					this.databaseMount + "/creds/" + this.databaseRole);
			this.appRoleId = login.roleId();
			this.appRoleSecretId = login.secretId();
		}
	}

	private void configureDatabase(PostgreSQLContainer postgres, OpenBaoAdminClient admin) {
		List<String> aliases = postgres.getNetworkAliases();
		if (postgres.getNetwork() == null || !postgres.getNetwork().equals(getNetwork()) || aliases.isEmpty()) {
			throw new IllegalStateException("OpenBao reaches PostgreSQL over a shared Network: start the "
					+ "PostgreSQL container on the network given to withDatabase, with a network alias");
		}
		String database = postgres.getDatabaseName();
		OwnerRoleStatements statements = new OwnerRoleStatements(database, this.ownerRole, this.managementUser,
				postgres.getUsername());
		String password = UUID.randomUUID().toString();
		try (Connection connection = postgres.createConnection("")) {
			statements.setUp(connection, password);
		}
		catch (SQLException ex) {
			throw new IllegalStateException("Could not prepare PostgreSQL for OpenBao: " + ex.getMessage(), ex);
		}
		admin.configureDatabase(this.databaseMount, database, "postgresql://{{username}}:{{password}}@"
				+ aliases.get(0) + ":" + PostgreSQLContainer.POSTGRESQL_PORT + "/" + database + "?sslmode=disable",
				this.managementUser, password);
		admin.writeRole(this.databaseMount, this.databaseRole, database,
				(this.creationStatements != null) ? this.creationStatements : statements.creation(this.ownerSession),
				(this.revocationStatements != null) ? this.revocationStatements : statements.revocation(),
				this.defaultTtl, this.maxTtl);
		logger.info(LogMessage.format("OpenBao issues users of PostgreSQL database %s from %s/creds/%s "
				+ "(default TTL %s, max TTL %s)", database, this.databaseMount, this.databaseRole, this.defaultTtl,
				this.maxTtl));
	}

	/**
	 * Call the server's HTTP API with the root token, for set-up or inspection in a test.
	 * @param method the HTTP method, including {@code LIST}
	 * @param path the path below {@code /v1/}
	 * @param body the request body, turned into JSON, or {@code null}
	 * @return the status and JSON body
	 */
	public Answer api(String method, String path, @Nullable Object body) {
		return admin().call(method, path, body);
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
		return admin().call(token, method, path, body);
	}

	private OpenBaoAdminClient admin() {
		if (this.admin == null) {
			// getAddress() fails with Testcontainers' own message while the container is not running.
			this.admin = new OpenBaoAdminClient(getAddress(), this.rootToken);
		}
		return this.admin;
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
