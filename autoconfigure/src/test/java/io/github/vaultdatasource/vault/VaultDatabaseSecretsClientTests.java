package io.github.vaultdatasource.vault;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;
import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.DatabaseCredentials;
import io.github.vaultdatasource.vault.DatabaseSecretsClient.LeaseRenewal;
import io.github.vaultdatasource.vault.VaultRequestException.Failure;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.vault.support.VaultToken;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link VaultDatabaseSecretsClient}: the library's own session client talks HTTP to
 * a local server that answers what Vault and OpenBao answer, and each answer must come out as the
 * failure the lease lifecycle acts on, with Vault's own message kept and the lease id shortened.
 */
class VaultDatabaseSecretsClientTests {

	static final String TOKEN = "s.Zq9x7Rv2Kp4mA1a";

	private static final String LEASE_ID = "database/creds/app/Xq7Rz2Kp9Lm4Nb8Vc3Wd";

	static final Instant NOW = Instant.parse("2025-01-01T10:00:00Z");

	private static final CredentialLease LEASE = CredentialLease.issued(
			new DatabaseCredentials("v-token-app-1", "A1a-Zq9x7Rv2Kp4m"), LEASE_ID, true, NOW, Duration.ofSeconds(60));

	private final List<String> requests = new CopyOnWriteArrayList<>();

	private HttpServer server;

	private int status;

	private String body = "";

	@AfterEach
	void stopServer() {
		if (this.server != null) {
			this.server.stop(0);
		}
	}

	@Test
	void issuesCredentialsWithALeaseCountedFromWhenTheRequestWasSent() {
		VaultDatabaseSecretsClient client = answering(200, """
				{"request_id":"1","lease_id":"%s","renewable":true,"lease_duration":3600,
				 "data":{"username":"v-token-app-1","password":"A1a-Zq9x7Rv2Kp4m"},"warnings":null}
				""".formatted(LEASE_ID));
		CredentialLease lease = client.issue();
		assertThat(lease.credentials()).isEqualTo(LEASE.credentials());
		assertThat(lease.leaseId()).isEqualTo(LEASE_ID);
		assertThat(lease.issuedAt()).isEqualTo(NOW);
		assertThat(lease.expiresAt()).isEqualTo(NOW.plusSeconds(3600));
		assertThat(this.requests).containsExactly("GET /v1/database/creds/app token=" + TOKEN);
	}

	@Test
	void renewsWithTheLeaseIdAndIncrementAndSeesACappedGrant() {
		VaultDatabaseSecretsClient client = answering(200, """
				{"lease_id":"%s","renewable":true,"lease_duration":20,"data":null,
				 "warnings":["TTL of \\"1m\\" exceeded the effective max_ttl of \\"20s\\"; TTL value is capped accordingly"]}
				""".formatted(LEASE_ID));
		LeaseRenewal renewal = client.renew(LEASE, Duration.ofSeconds(60));
		assertThat(renewal).isEqualTo(new LeaseRenewal(Duration.ofSeconds(20), true, true));
		assertThat(this.requests).singleElement()
			.isEqualTo("PUT /v1/sys/leases/renew {\"lease_id\":\"" + LEASE_ID + "\",\"increment\":60}");
	}

	@Test
	void revokesAndWaitsForTheRevocationStatements() {
		answering(204, "").revoke(LEASE);
		assertThat(this.requests).singleElement()
			.isEqualTo("PUT /v1/sys/leases/revoke {\"lease_id\":\"" + LEASE_ID + "\",\"sync\":true}");
	}

	@Test
	void aLeaseVaultNoLongerKnowsIsGone() {
		assertFailure(renew(400, "lease not found"), Failure.LEASE_GONE, 400);
		assertFailure(renew(400, "invalid lease ID"), Failure.LEASE_GONE, 400);
		assertFailure(revoke(400, "lease not found"), Failure.LEASE_GONE, 400);
	}

	@Test
	void aRenewalPastTheMaxTtlAsksForARotation() {
		assertFailure(renew(400, "past the max TTL, cannot renew"), Failure.MAX_TTL_REACHED, 400);
	}

	@Test
	void theRoleStatementsFailingOnRenewIsAServerErrorNotALeaseGone() {
		assertFailure(renew(400, "failed to renew entry: resp: (*logical.Response)(nil) err: failed to connect to "
				+ "`host=127.0.0.1 user=vault database=appdb`: dial error"), Failure.SERVER_ERROR, 400);
	}

	@Test
	void aRevocationWhoseStatementsFailIsAFailedRevocationNotALeaseGone() {
		// docs/operations.md (VaultLeaseRevocationFailed): Vault keeps such a lease, and the library
		// counts a failed revocation rather than a lease already gone.
		String vaultMessage = "failed to revoke lease: lease_id=" + LEASE_ID + ": failed to revoke entry: resp: "
				+ "(*logical.Response)(nil) err: could not perform all revocation statements: pq: role "
				+ "\"v-token-app-1\" cannot be dropped because some objects depend on it";
		VaultRequestException failure = failure(revoke(400, vaultMessage));
		assertFailure(failure, Failure.SERVER_ERROR, 400);
		assertThat(failure.getFailure().isTransient()).isTrue();
		assertThat(failure.getMessage()).isEqualTo("Vault answered 400 to sys/leases/revoke: failed to revoke lease: "
				+ "lease_id=" + LEASE.shortLeaseId() + ": failed to revoke entry: resp: (*logical.Response)(nil) err: "
				+ "could not perform all revocation statements: pq: role \"v-token-app-1\" cannot be dropped because "
				+ "some objects depend on it");
	}

	@Test
	void errorTextIsReadWithoutALocaleTrap() {
		Locale locale = Locale.getDefault();
		Locale.setDefault(Locale.forLanguageTag("tr"));
		try {
			assertFailure(renew(400, "Lease Is Past The Max TTL, Cannot Renew"), Failure.MAX_TTL_REACHED, 400);
			assertFailure(renew(400, "LEASE IS PAST THE MAX TTL"), Failure.MAX_TTL_REACHED, 400);
			assertFailure(renew(400, "FAILED TO RENEW ENTRY: DIAL ERROR"), Failure.SERVER_ERROR, 400);
			assertFailure(revoke(400, "FAILED TO REVOKE ENTRY: PQ"), Failure.SERVER_ERROR, 400);
			assertFailure(renew(400, "INVALID LEASE ID"), Failure.LEASE_GONE, 400);
			assertFailure(renew(500, "ACTIVE CLUSTER NODE NOT FOUND"), Failure.UNAVAILABLE, 500);
			assertFailure(issue(500, "LOCAL NODE NOT ACTIVE"), Failure.UNAVAILABLE, 500);
		}
		finally {
			Locale.setDefault(locale);
		}
	}

	@Test
	void aTokenWithoutThePolicyIsPermissionDenied() {
		assertFailure(issue(403, "permission denied"), Failure.PERMISSION_DENIED, 403);
		assertFailure(renew(403, "permission denied"), Failure.PERMISSION_DENIED, 403);
	}

	@Test
	void anUnknownMountIsNotFound() {
		VaultRequestException failure = failure(
				issue(404, "no handler for route \"database/creds/app\". route entry not found."));
		assertFailure(failure, Failure.NOT_FOUND, 404);
		assertThat(failure.getMessage()).isEqualTo("Vault answered 404 to database/creds/app: no handler for route "
				+ "\"database/creds/app\". route entry not found.");
	}

	@Test
	void aServerErrorKeepsVaultsMessageQuotesAndAll() {
		VaultRequestException failure = failure(
				issue(500, "1 error occurred:\n\t* pq: role \"app_owner\" does not exist\n\n"));
		assertFailure(failure, Failure.SERVER_ERROR, 500);
		assertThat(failure.getMessage())
			.isEqualTo("Vault answered 500 to database/creds/app: 1 error occurred:  * pq: role \"app_owner\" does "
					+ "not exist");
		assertThat(failure.getMessage()).doesNotContain(TOKEN);
	}

	@Test
	void aClusterWithoutALeaderOrASealedVaultIsUnavailable() {
		assertFailure(renew(500, "active cluster node not found"), Failure.UNAVAILABLE, 500);
		assertFailure(issue(500, "local node not active but active cluster node not found"), Failure.UNAVAILABLE,
				500);
		assertFailure(issue(503, "Vault is sealed"), Failure.UNAVAILABLE, 503);
		assertFailure(renew(429, "rate limit quota exceeded"), Failure.UNAVAILABLE, 429);
	}

	@Test
	void aProxysErrorPageIsCutShort() {
		String page = "<html><head><title>502 Bad Gateway</title></head><body>" + "<p>upstream</p>".repeat(40)
				+ "</body></html>";
		VaultDatabaseSecretsClient client = answering(502, page);
		VaultRequestException failure = failure(() -> client.renew(LEASE, Duration.ofSeconds(60)));
		assertFailure(failure, Failure.UNAVAILABLE, 502);
		assertThat(failure.getMessage()).startsWith("Vault answered 502 to sys/leases/renew: <html><head><title>502")
			.endsWith("…")
			.hasSizeLessThan(260);
	}

	@Test
	void anErrorBodyThatIsNotValidJsonIsStillClassified() {
		VaultDatabaseSecretsClient client = answering(500, "{\"errors\":[\"pq: role \"app_owner\" does not exist\"]}");
		assertFailure(() -> client.renew(LEASE, Duration.ofSeconds(60)), Failure.SERVER_ERROR, 500);
	}

	@Test
	void aRefusedConnectionIsUnavailable() throws IOException {
		VaultDatabaseSecretsClient client = client(deadAddress());
		VaultRequestException failure = failure(() -> client.renew(LEASE, Duration.ofSeconds(60)));
		assertFailure(failure, Failure.UNAVAILABLE, 0);
		assertThat(failure.getMessage()).startsWith("Vault could not be reached for sys/leases/renew: ")
			.doesNotContain(LEASE_ID);
	}

	private ThrowingCallable issue(int status, String error) {
		VaultDatabaseSecretsClient client = answering(status, errors(error));
		return client::issue;
	}

	private ThrowingCallable renew(int status, String error) {
		VaultDatabaseSecretsClient client = answering(status, errors(error));
		return () -> client.renew(LEASE, Duration.ofSeconds(60));
	}

	private ThrowingCallable revoke(int status, String error) {
		VaultDatabaseSecretsClient client = answering(status, errors(error));
		return () -> client.revoke(LEASE);
	}

	// Vault's error body, the message JSON-encoded as Vault does.
	private static String errors(String error) {
		String encoded = error.replace("\\", "\\\\")
			.replace("\"", "\\\"")
			.replace("\n", "\\n")
			.replace("\t", "\\t");
		return "{\"errors\":[\"" + encoded + "\"]}";
	}

	private static VaultRequestException failure(ThrowingCallable call) {
		VaultRequestException[] thrown = new VaultRequestException[1];
		assertThatExceptionOfType(VaultRequestException.class).isThrownBy(call)
			.satisfies((ex) -> thrown[0] = ex);
		return thrown[0];
	}

	private static void assertFailure(ThrowingCallable call, Failure failure, int status) {
		assertFailure(failure(call), failure, status);
	}

	private static void assertFailure(VaultRequestException ex, Failure failure, int status) {
		assertThat(ex.getFailure()).as(ex.getMessage()).isEqualTo(failure);
		assertThat(ex.getStatus()).isEqualTo(status);
	}

	private VaultDatabaseSecretsClient answering(int status, String body) {
		this.status = status;
		this.body = body;
		if (this.server == null) {
			this.server = startServer();
		}
		return client(URI.create("http://127.0.0.1:" + this.server.getAddress().getPort()));
	}

	private HttpServer startServer() {
		try {
			HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
			server.createContext("/", (exchange) -> {
				String request = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
				this.requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " "
						+ (request.isEmpty() ? "token=" + exchange.getRequestHeaders().getFirst("X-Vault-Token")
								: request));
				byte[] answer = this.body.getBytes(StandardCharsets.UTF_8);
				exchange.getResponseHeaders().add("Content-Type", "application/json");
				exchange.sendResponseHeaders(this.status, (answer.length > 0) ? answer.length : -1);
				try (OutputStream out = exchange.getResponseBody()) {
					out.write(answer);
				}
			});
			server.start();
			return server;
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	// The library's own client, as the auto-configuration builds it: no VaultTemplate, no RestClient.
	VaultDatabaseSecretsClient client(URI vault) {
		return new VaultDatabaseSecretsClient(new VaultHttp(new SimpleClientHttpRequestFactory(), vault, null),
				() -> VaultToken.of(TOKEN), "/database/", "app", false, Clock.fixed(NOW, ZoneOffset.UTC));
	}

	private static URI deadAddress() throws IOException {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return URI.create("http://127.0.0.1:" + socket.getLocalPort());
		}
	}

}
