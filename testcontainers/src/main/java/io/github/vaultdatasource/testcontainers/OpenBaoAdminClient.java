package io.github.vaultdatasource.testcontainers;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.vaultdatasource.testcontainers.OpenBaoContainer.Answer;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Administers an OpenBao (or Vault) server over its HTTP API: the database secrets engine, a role,
 * an AppRole login, and calls of a test's own. Speaks only the API both servers share.
 */
final class OpenBaoAdminClient {

	private static final JsonMapper json = JsonMapper.builder().build();

	private final HttpClient http = HttpClient.newHttpClient();

	private final String address;

	private final String rootToken;

	/**
	 * Create a client.
	 * @param address the server's address, such as {@code http://localhost:32771}
	 * @param rootToken the token set-up calls use
	 */
	OpenBaoAdminClient(String address, String rootToken) {
		this.address = address;
		this.rootToken = rootToken;
	}

	/**
	 * Mount the database secrets engine and point it at a PostgreSQL database, then rotate the
	 * management user's password so that only the server knows it.
	 * @param mount the mount path
	 * @param database the database name, also the name of the connection
	 * @param connectionUrl the URL the server connects with, {@code {{username}}} and
	 * {@code {{password}}} left for it to fill in
	 * @param managementUser the user it connects as
	 * @param managementPassword that user's password until the rotation
	 */
	void configureDatabase(String mount, String database, String connectionUrl, String managementUser,
			String managementPassword) {
		call(this.rootToken, "POST", "sys/mounts/" + mount, Map.of("type", "database"))
			.expectSuccess("enable the database secrets engine at " + mount);
		Map<String, Object> config = new LinkedHashMap<>();
		config.put("plugin_name", "postgresql-database-plugin");
		config.put("allowed_roles", "*");
		config.put("connection_url", connectionUrl);
		config.put("username", managementUser);
		config.put("password", managementPassword);
		config.put("password_authentication", "scram-sha-256");
		call(this.rootToken, "POST", mount + "/config/" + database, config)
			.expectSuccess("configure the connection to PostgreSQL");
		call(this.rootToken, "POST", mount + "/rotate-root/" + database, null).expectSuccess("rotate-root");
	}

	/**
	 * Create or replace a role of the database secrets engine.
	 * @param mount the mount path
	 * @param role the role name
	 * @param database the connection it issues users of
	 * @param creation its creation statements
	 * @param revocation its revocation statements
	 * @param defaultTtl the lease duration of new and renewed credentials
	 * @param maxTtl the longest a lease can be renewed to
	 */
	void writeRole(String mount, String role, String database, List<String> creation, List<String> revocation,
			Duration defaultTtl, Duration maxTtl) {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("db_name", database);
		body.put("creation_statements", creation);
		body.put("revocation_statements", revocation);
		body.put("default_ttl", defaultTtl.toSeconds() + "s");
		body.put("max_ttl", maxTtl.toSeconds() + "s");
		call(this.rootToken, "POST", mount + "/roles/" + role, body).expectSuccess("create role " + role);
	}

	/**
	 * Enable AppRole with a login whose policy may only issue credentials from one role and renew
	 * and revoke leases.
	 * @param name the name of the policy and of the AppRole role
	 * @param credentialsPath the path it may read, such as {@code database/creds/app}
	 * @return the role id and a secret id
	 */
	AppRoleLogin enableAppRole(String name, String credentialsPath) {
		String policy = String.join("\n", "path \"" + credentialsPath + "\" { capabilities = [\"read\"] }",
				"path \"sys/leases/renew\" { capabilities = [\"update\"] }",
				"path \"sys/leases/revoke\" { capabilities = [\"update\"] }");
		call(this.rootToken, "PUT", "sys/policies/acl/" + name, Map.of("policy", policy))
			.expectSuccess("create policy " + name);
		call(this.rootToken, "POST", "sys/auth/approle", Map.of("type", "approle")).expectSuccess("enable AppRole");
		call(this.rootToken, "POST", "auth/approle/role/" + name, Map.of("token_policies", List.of(name)))
			.expectSuccess("create AppRole " + name);
		String roleId = call(this.rootToken, "GET", "auth/approle/role/" + name + "/role-id", null)
			.expectSuccess("read role id")
			.body()
			.path("data")
			.path("role_id")
			.asString();
		String secretId = call(this.rootToken, "POST", "auth/approle/role/" + name + "/secret-id", null)
			.expectSuccess("create secret id")
			.body()
			.path("data")
			.path("secret_id")
			.asString();
		return new AppRoleLogin(roleId, secretId);
	}

	/**
	 * Return the ids of the leases the server still knows below a prefix.
	 * @param prefix the prefix, such as {@code database/creds/app/}
	 * @return the full lease ids
	 */
	List<String> leaseIds(String prefix) {
		Answer answer = call(this.rootToken, "GET", "sys/leases/lookup/" + prefix + "?list=true", null);
		if (answer.status() == 404) {
			return List.of();
		}
		answer.expectSuccess("list the leases of " + prefix);
		List<String> ids = new ArrayList<>();
		answer.body().path("data").path("keys").forEach((key) -> ids.add(prefix + key.asString()));
		return ids;
	}

	/**
	 * Call the HTTP API with the root token.
	 * @param method the HTTP method, including {@code LIST}
	 * @param path the path below {@code /v1/}
	 * @param body the request body, turned into JSON, or {@code null}
	 * @return the status and JSON body
	 */
	Answer call(String method, String path, @Nullable Object body) {
		return call(this.rootToken, method, path, body);
	}

	/**
	 * Call the HTTP API.
	 * @param token the token, or {@code null} to send none (as a login does)
	 * @param method the HTTP method, including {@code LIST}
	 * @param path the path below {@code /v1/}
	 * @param body the request body, turned into JSON, or {@code null}
	 * @return the status and JSON body
	 */
	Answer call(@Nullable String token, String method, String path, @Nullable Object body) {
		try {
			HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(this.address + "/v1/" + path))
				.timeout(Duration.ofSeconds(30))
				.method(method, (body != null) ? HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))
						: HttpRequest.BodyPublishers.noBody());
			if (token != null) {
				request.header("X-Vault-Token", token);
			}
			HttpResponse<String> response = this.http.send(request.build(),
					HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
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

	/**
	 * The credentials of an AppRole login.
	 *
	 * @param roleId the role id
	 * @param secretId the secret id
	 */
	record AppRoleLogin(String roleId, String secretId) {

		@Override
		public String toString() {
			return "AppRoleLogin[roleId=" + this.roleId + ", secretId=…]";
		}

	}

}
