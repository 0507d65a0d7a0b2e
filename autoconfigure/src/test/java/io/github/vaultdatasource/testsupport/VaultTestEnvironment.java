package io.github.vaultdatasource.testsupport;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import tools.jackson.databind.json.JsonMapper;

/**
 * The real OpenBao and PostgreSQL that {@code scripts/services.sh up} started, as integration
 * tests see them: addresses from the environment (or {@code .vds/env}), the root token for set-up,
 * and an administrator connection to inspect {@code pg_roles}.
 */
public final class VaultTestEnvironment {

	private static final JsonMapper json = JsonMapper.builder().build();

	private static VaultTestEnvironment instance;

	private final Map<String, String> env;

	private final Path repository;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private VaultTestEnvironment(Map<String, String> env, Path repository) {
		this.env = env;
		this.repository = repository;
	}

	/**
	 * Return the environment, reading {@code .vds/env} (or {@code $VDS_STATE_DIR/env}) when the
	 * variables are not set.
	 * @return the environment
	 */
	public static synchronized VaultTestEnvironment get() {
		if (instance == null) {
			Path repository = findRepository();
			Map<String, String> values = new HashMap<>();
			Path file = envFile(repository);
			if (Files.exists(file)) {
				try {
					for (String line : Files.readAllLines(file)) {
						String trimmed = line.trim();
						if (trimmed.startsWith("export ")) {
							String assignment = trimmed.substring("export ".length());
							int eq = assignment.indexOf('=');
							values.put(assignment.substring(0, eq), assignment.substring(eq + 1));
						}
					}
				}
				catch (IOException ex) {
					throw new IllegalStateException(ex);
				}
			}
			Map<String, String> fromFile = Map.copyOf(values);
			System.getenv().forEach((key, value) -> {
				if (key.startsWith("VDS_") || key.startsWith("VAULT_")) {
					values.put(key, value);
				}
			});
			// A server restarted by an earlier test (another module's JVM) has a new process id: the
			// file has it, the environment Maven was started with has the old one.
			fromFile.forEach((key, value) -> {
				if (key.endsWith("_PID")) {
					values.put(key, value);
				}
			});
			if (!values.containsKey("VAULT_ADDR")) {
				throw new IllegalStateException(
						"No OpenBao/PostgreSQL environment: run scripts/services.sh up (or scripts/test.sh) first");
			}
			instance = new VaultTestEnvironment(values, repository);
		}
		return instance;
	}

	// Where scripts/services.sh writes its env file: $VDS_STATE_DIR when set (a worktree on its own
	// ports), else the repository's .vds.
	private static Path envFile(Path repository) {
		String stateDir = System.getenv("VDS_STATE_DIR");
		return ((stateDir != null && !stateDir.isBlank()) ? Path.of(stateDir) : repository.resolve(".vds"))
			.resolve("env");
	}

	private static Path findRepository() {
		Path dir = Path.of("").toAbsolutePath();
		while (dir != null && !Files.exists(dir.resolve("scripts/services.sh"))) {
			dir = dir.getParent();
		}
		if (dir == null) {
			throw new IllegalStateException("Cannot find the repository root (scripts/services.sh)");
		}
		return dir;
	}

	public String vaultAddress() {
		return this.env.get("VAULT_ADDR");
	}

	public String rootToken() {
		return this.env.get("VAULT_TOKEN");
	}

	public String jdbcUrl() {
		return this.env.get("VDS_JDBC_URL");
	}

	public String mount() {
		return this.env.getOrDefault("VDS_DB_MOUNT", "database");
	}

	public Path repository() {
		return this.repository;
	}

	/**
	 * Return the value of a variable from the environment file.
	 * @param name the variable
	 * @return its value
	 */
	public String variable(String name) {
		return this.env.get(name);
	}

	/**
	 * Restart PostgreSQL, as an operator ({@code fast}) or a crash ({@code immediate}) would.
	 * @param mode {@code fast} or {@code immediate}
	 */
	public void restartPostgres(String mode) {
		restartPostgres(mode, 200);
	}

	/**
	 * Restart PostgreSQL with a given {@code max_connections}.
	 * @param mode {@code fast} or {@code immediate}
	 * @param maxConnections the most connections it accepts
	 */
	public void restartPostgres(String mode, int maxConnections) {
		run("bash", this.repository.resolve("scripts/services.sh").toString(), "restart-pg", mode,
				Integer.toString(maxConnections));
		reloadVariable("VDS_PG_PID");
	}

	/**
	 * Restart OpenBao: the dev server loses every lease, mount and role; the database engine and
	 * the default role are configured again, roles of tests are not.
	 */
	public void restartOpenBao() {
		run("bash", this.repository.resolve("scripts/services.sh").toString(), "restart-bao");
		reloadVariable("VDS_BAO_PID");
	}

	/**
	 * Return the leases Vault holds under a credentials path, such as {@code database/creds/app}.
	 * @param credentialsPath the path
	 * @return the lease ids' last parts
	 */
	@SuppressWarnings("unchecked")
	public List<String> leases(String credentialsPath) {
		VaultAnswer answer = vault("LIST", "sys/leases/lookup/" + credentialsPath + "/", null);
		if (answer.status() == 404) {
			return List.of();
		}
		Object keys = answer.data().get("keys");
		return (keys instanceof List<?> list) ? (List<String>) list : List.of();
	}

	private void reloadVariable(String name) {
		try {
			for (String line : Files.readAllLines(envFile(this.repository))) {
				String prefix = "export " + name + "=";
				if (line.startsWith(prefix)) {
					this.env.put(name, line.substring(prefix.length()));
				}
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Define (or redefine) a database secrets role with the same statements as the scripts use.
	 * @param name the role name
	 * @param defaultTtl its default TTL, such as {@code 4s}
	 * @param maxTtl its max TTL, such as {@code 12s}
	 */
	public void createRole(String name, String defaultTtl, String maxTtl) {
		run("bash", this.repository.resolve("scripts/services.sh").toString(), "role", name, defaultTtl, maxTtl);
	}

	/**
	 * Define (or redefine) a role whose users' sessions act as the owner role {@code app_owner}, as
	 * the sample app's Flyway migrations need.
	 * @param name the role name
	 * @param defaultTtl its default TTL, such as {@code 4s}
	 * @param maxTtl its max TTL, such as {@code 12s}
	 */
	public void createOwnerSessionRole(String name, String defaultTtl, String maxTtl) {
		run("bash", this.repository.resolve("scripts/services.sh").toString(), "role", name, defaultTtl, maxTtl,
				"owner-session");
	}

	/**
	 * Return a name no other test run uses, for roles, policies and auth mounts on the shared
	 * servers: the prefix, a dash and eight random lower-case letters and digits.
	 * @param prefix the prefix, such as {@code it-approle}
	 * @return the unique name
	 */
	public static String uniqueName(String prefix) {
		return prefix + "-" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
	}

	/**
	 * Delete a database secrets role, ignoring whether it exists.
	 * @param name the role name
	 */
	public void deleteRole(String name) {
		vault("DELETE", mount() + "/roles/" + name, null);
	}

	/**
	 * Define an ACL policy.
	 * @param name the policy name
	 * @param policy the policy text in HCL
	 */
	public void createPolicy(String name, String policy) {
		expectSuccess(vault("PUT", "sys/policies/acl/" + name, Map.of("policy", policy)), "policy " + name);
	}

	/**
	 * Delete an ACL policy, ignoring whether it exists.
	 * @param name the policy name
	 */
	public void deletePolicy(String name) {
		vault("DELETE", "sys/policies/acl/" + name, null);
	}

	/**
	 * Enable an auth method at a path.
	 * @param path the mount path, such as {@code approle-x2k9}
	 * @param type the auth method type, such as {@code approle} or {@code jwt}
	 */
	public void enableAuth(String path, String type) {
		expectSuccess(vault("POST", "sys/auth/" + path, Map.of("type", type)), "auth mount " + path);
	}

	/**
	 * Disable an auth method, revoking the tokens it issued; ignores whether it is enabled.
	 * @param path the mount path
	 */
	public void disableAuth(String path) {
		vault("DELETE", "sys/auth/" + path, null);
	}

	/**
	 * Fail unless Vault answered with a 2xx status.
	 * @param answer the answer
	 * @param what what was asked for, for the failure message
	 * @return the answer
	 */
	public VaultAnswer expectSuccess(VaultAnswer answer, String what) {
		if (answer.status() < 200 || answer.status() > 299) {
			throw new IllegalStateException("Vault refused " + what + ": " + answer.status() + " " + answer.body());
		}
		return answer;
	}

	/**
	 * Call Vault with the root token.
	 * @param method the HTTP method
	 * @param path the path below {@code /v1/}
	 * @param body the JSON body, or {@code null}
	 * @return the status and parsed body
	 */
	public VaultAnswer vault(String method, String path, Object body) {
		return vaultAs(rootToken(), method, path, body);
	}

	/**
	 * Call Vault with a given token.
	 * @param token the token, or {@code null} for none
	 * @param method the HTTP method
	 * @param path the path below {@code /v1/}
	 * @param body the JSON body, or {@code null}
	 * @return the status and parsed body
	 */
	@SuppressWarnings("unchecked")
	public VaultAnswer vaultAs(String token, String method, String path, Object body) {
		try {
			HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(vaultAddress() + "/v1/" + path))
				.timeout(Duration.ofSeconds(10))
				.method(method, (body != null)
						? HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))
						: HttpRequest.BodyPublishers.noBody());
			if (token != null) {
				request.header("X-Vault-Token", token);
			}
			HttpResponse<String> response = this.http.send(request.build(),
					HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
			Map<String, Object> parsed = response.body().isBlank() ? Map.of()
					: json.readValue(response.body(), Map.class);
			return new VaultAnswer(response.statusCode(), parsed);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Return whether Vault still knows a lease.
	 * @param leaseId the full lease id
	 * @return whether a lookup finds it
	 */
	public boolean leaseKnown(String leaseId) {
		return vault("PUT", "sys/leases/lookup", Map.of("lease_id", leaseId)).status() == 200;
	}

	/**
	 * Open a connection as the PostgreSQL administrator.
	 * @return the connection
	 * @throws SQLException on failure
	 */
	public Connection adminConnection() throws SQLException {
		return DriverManager.getConnection(jdbcUrl(), this.env.get("VDS_PG_ADMIN_USER"),
				this.env.get("VDS_PG_ADMIN_PASSWORD"));
	}

	/**
	 * Return the Vault-created roles ({@code v-…}) that exist in PostgreSQL.
	 * @param prefix a name prefix such as {@code v-token-short-}
	 * @return the role names
	 */
	public List<String> databaseRoles(String prefix) {
		List<String> roles = new ArrayList<>();
		try (Connection connection = adminConnection(); Statement statement = connection.createStatement();
				ResultSet rows = statement.executeQuery("SELECT rolname FROM pg_roles ORDER BY rolname")) {
			while (rows.next()) {
				if (rows.getString(1).startsWith(prefix)) {
					roles.add(rows.getString(1));
				}
			}
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
		return roles;
	}

	/**
	 * Return the users Vault's PostgreSQL plugin created for a role that exist in PostgreSQL. Its
	 * default username template is {@code v-<display name, 8>-<role, 8>-<random>-<time>} (a display
	 * name may end in a dash, as AppRole's {@code approle-} does): names
	 * are matched on the truncated role, whatever login (token, AppRole, Kubernetes) issued them.
	 * @param role the Vault role
	 * @return the user names
	 */
	public List<String> issuedUsers(String role) {
		String truncated = (role.length() > 8) ? role.substring(0, 8) : role;
		java.util.regex.Pattern pattern = java.util.regex.Pattern
			.compile("v-.{1,8}-" + java.util.regex.Pattern.quote(truncated) + "-[A-Za-z0-9]{20}-[0-9]+");
		return databaseRoles("v-").stream().filter((name) -> pattern.matcher(name).matches()).toList();
	}

	/**
	 * Run a command in the repository and fail on a non-zero exit.
	 * @param command the command
	 */
	public void run(String... command) {
		try {
			Process process = new ProcessBuilder(command).directory(this.repository.toFile())
				.redirectErrorStream(true)
				.start();
			String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
				throw new IllegalStateException("Command failed: " + String.join(" ", command) + "\n" + output);
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * A Vault answer.
	 *
	 * @param status the HTTP status
	 * @param body the parsed JSON body
	 */
	public record VaultAnswer(int status, Map<String, Object> body) {

		@SuppressWarnings("unchecked")
		public Map<String, Object> data() {
			Object data = this.body.get("data");
			return (data instanceof Map) ? (Map<String, Object>) data : Map.of();
		}

		@SuppressWarnings("unchecked")
		public Map<String, Object> auth() {
			Object auth = this.body.get("auth");
			return (auth instanceof Map) ? (Map<String, Object>) auth : Map.of();
		}

	}

	/**
	 * Return a variable as the environment file says now. The pid of a server another test JVM
	 * restarted (the autoconfigure module's fault tests restart OpenBao and PostgreSQL before the
	 * sample app's tests run) is only right there: the value exported before the build names the
	 * old process.
	 * @param name the variable, such as {@code VDS_BAO_PID}
	 * @return its current value
	 */
	public String currentVariable(String name) {
		reloadVariable(name);
		return variable(name);
	}

}
