package io.github.vaultdatasource.vault;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

import com.sun.net.httpserver.HttpServer;
import io.github.vaultdatasource.vault.FailoverClientHttpRequestFactory.NodeResponse;
import io.github.vaultdatasource.vault.FailoverClientHttpRequestFactory.Ticker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.http.HttpMethod;
import org.springframework.http.client.ClientHttpRequest;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.web.client.HttpServerErrorException;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link FailoverClientHttpRequestFactory}: local HTTP servers stand in for Vault nodes
 * and answer what nodes answer during a failover; time is virtual, so the backoff is exact and
 * nothing sleeps.
 */
class FailoverClientHttpRequestFactoryTests {

	private static final Duration READ_TIMEOUT = Duration.ofSeconds(5);

	private final List<HttpServer> servers = new ArrayList<>();

	private final Map<Integer, AtomicInteger> requests = new ConcurrentHashMap<>();

	private final VirtualTicker ticker = new VirtualTicker();

	@AfterEach
	void stopServers() {
		this.servers.forEach((server) -> server.stop(0));
	}

	@Test
	void movesOnFromARefusedConnectionAndStaysOnTheNodeThatAnswered() throws IOException {
		URI dead = deadNode();
		URI live = node((n) -> new Answer(200, "{\"ok\":true}", null));
		FailoverClientHttpRequestFactory factory = factory(dead, live);
		try (ClientHttpResponse response = get(factory, "v1/sys/health")) {
			assertThat(response.getStatusCode().value()).isEqualTo(200);
			assertThat(((NodeResponse) response).node()).isEqualTo(live);
		}
		assertThat(factory.nodes().tryOrder()).first().isEqualTo(live);
		assertThat(factory.nodes().lastAnswered()).isEqualTo(live);
		assertThat(this.ticker.slept).isEmpty();
	}

	@Test
	void movesOnFromANodeThatDiesWhileAnswering() throws IOException {
		ServerSocket dying = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
		Thread acceptor = new Thread(() -> {
			while (!dying.isClosed()) {
				try (java.net.Socket socket = dying.accept()) {
					socket.getInputStream().read();
				}
				catch (IOException ex) {
					// closed
				}
			}
		});
		acceptor.setDaemon(true);
		acceptor.start();
		try {
			URI dead = URI.create("http://127.0.0.1:" + dying.getLocalPort());
			URI live = node((n) -> new Answer(204, "", null));
			try (ClientHttpResponse response = put(factory(dead, live), "v1/sys/leases/revoke")) {
				assertThat(((NodeResponse) response).node()).isEqualTo(live);
			}
		}
		finally {
			dying.close();
		}
	}

	@Test
	void neverFollowsAStandbysRedirectToTheDeadActiveNode() throws IOException {
		URI dead = deadNode();
		URI standby = node((n) -> new Answer(307, "", dead + "/v1/database/creds/app"));
		URI newActive = node((n) -> new Answer(200, "{\"data\":{}}", null));
		try (ClientHttpResponse response = get(factory(standby, newActive), "v1/database/creds/app")) {
			assertThat(((NodeResponse) response).node()).isEqualTo(newActive);
		}
		assertThat(count(standby)).isEqualTo(1);
	}

	@Test
	void waitsWithBackoffWhileNoNodeKnowsTheLeaderThenUsesTheNewOne() throws IOException {
		String noLeader = "{\"errors\":[\"local node not active but active cluster node not found\"]}";
		URI standbyA = node((n) -> (n <= 3) ? new Answer(500, noLeader, null) : new Answer(200, "{}", null));
		URI standbyB = node((n) -> new Answer(429, "", null));
		try (ClientHttpResponse response = get(factory(standbyA, standbyB), "v1/sys/leases/renew")) {
			assertThat(((NodeResponse) response).node()).isEqualTo(standbyA);
		}
		assertThat(this.ticker.slept).containsExactly(Duration.ofMillis(100), Duration.ofMillis(200),
				Duration.ofMillis(400));
	}

	@Test
	void givesUpAfterTheReadTimeoutWithAnUnavailableErrorNamingEachNode() {
		URI dead = deadNode();
		URI sealed = node((n) -> new Answer(503, "{\"errors\":[\"Vault is sealed\"]}", null));
		FailoverClientHttpRequestFactory factory = factory(dead, sealed);
		assertThatExceptionOfType(VaultNodesUnavailableException.class)
			.isThrownBy(() -> get(factory, "v1/database/creds/app"))
			.withMessageContaining(dead + ": connection refused")
			.withMessageContaining(sealed + ": 503 Vault is sealed")
			.satisfies((ex) -> assertThat(ex.getOutcomes()).hasSizeGreaterThan(2));
		// Bounded: the backoff 100 ms, 200 ms, ... capped at 1 s never waits past the read timeout.
		assertThat(this.ticker.slept.stream().reduce(Duration.ZERO, Duration::plus)).isEqualTo(Duration.ofMillis(4500));
		assertThat(this.ticker.slept).endsWith(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1));
		assertThat(this.ticker.slept).allSatisfy((pause) -> assertThat(pause).isLessThanOrEqualTo(Duration.ofSeconds(1)));
	}

	@Test
	void namesEachNodesAnswerInVaultsOwnWordsQuotesAndAll() {
		URI sealed = node((n) -> new Answer(503,
				"{\"errors\":[\"error performing token check: \\\"storage\\\" is sealed\"]}", null));
		URI balancer = node((n) -> new Answer(503, "<html><body>No server is available</body></html>", null));
		URI standby = node((n) -> new Answer(500, "{\"errors\":[\"No active node\"]}", null));
		FailoverClientHttpRequestFactory factory = factory(sealed, balancer, standby);
		assertThatExceptionOfType(VaultNodesUnavailableException.class)
			.isThrownBy(() -> get(factory, "v1/sys/leases/renew"))
			.withMessageContaining(sealed + ": 503 error performing token check: \"storage\" is sealed")
			.withMessageContaining(balancer + ": 503 unavailable")
			.withMessageContaining(standby + ": 500 No active node");
	}

	@Test
	void restClientSeesAResourceAccessExceptionWhenEveryNodeFailed() {
		FailoverClientHttpRequestFactory factory = factory(deadNode(), deadNode());
		RestClient client = RestClient.builder().requestFactory(factory).build();
		assertThatExceptionOfType(ResourceAccessException.class)
			.isThrownBy(() -> client.get().uri(factory.nodes().addresses().get(0) + "/v1/sys/health").retrieve().toBodilessEntity())
			.withCauseInstanceOf(VaultNodesUnavailableException.class);
	}

	@Test
	void passesAnOrdinaryServerErrorThroughWithoutTryingOtherNodes() {
		String sqlFailed = "{\"errors\":[\"1 error occurred: pq: permission denied to create role\"]}";
		URI active = node((n) -> new Answer(500, sqlFailed, null));
		URI other = node((n) -> new Answer(200, "{}", null));
		RestClient client = RestClient.builder().requestFactory(factory(active, other)).build();
		assertThatExceptionOfType(HttpServerErrorException.class)
			.isThrownBy(() -> client.get().uri(active + "/v1/database/creds/app").retrieve().body(String.class))
			.satisfies((ex) -> assertThat(ex.getResponseBodyAsString()).contains("permission denied to create role"));
		assertThat(count(other)).isZero();
	}

	@Test
	void namesHttpToAnHttpsPort() {
		URI tlsOnly = node((n) -> new Answer(400, "Client sent an HTTP request to an HTTPS server.\n", null));
		assertThatExceptionOfType(VaultTlsException.class).isThrownBy(() -> get(factory(tlsOnly), "v1/sys/health"))
			.withMessageContaining("serves HTTPS")
			.satisfies((ex) -> assertThat(ex.getAction()).contains("https://" + tlsOnly.getAuthority()));
	}

	@Test
	void sendsTheBodyAndHeadersToTheNodeThatAnswers() throws IOException {
		List<String> bodies = new CopyOnWriteArrayList<>();
		URI dead = deadNode();
		HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		server.createContext("/", (exchange) -> {
			bodies.add(exchange.getRequestHeaders().getFirst("X-Vault-Token") + " "
					+ new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
			exchange.sendResponseHeaders(204, -1);
			exchange.close();
		});
		server.start();
		this.servers.add(server);
		URI live = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
		RestClient client = RestClient.builder().requestFactory(factory(dead, live)).build();
		client.put()
			.uri(dead + "/v1/sys/leases/renew")
			.header("X-Vault-Token", "t")
			.body("{\"increment\":10}")
			.retrieve()
			.toBodilessEntity();
		assertThat(bodies).containsExactly("t {\"increment\":10}");
	}

	private FailoverClientHttpRequestFactory factory(URI... nodes) {
		return new FailoverClientHttpRequestFactory(VaultNodes.of(List.of(nodes)), Duration.ofSeconds(2), READ_TIMEOUT,
				null, null, this.ticker);
	}

	private static ClientHttpResponse get(FailoverClientHttpRequestFactory factory, String path) throws IOException {
		return factory.createRequest(URI.create(factory.nodes().addresses().get(0) + "/" + path), HttpMethod.GET)
			.execute();
	}

	private static ClientHttpResponse put(FailoverClientHttpRequestFactory factory, String path) throws IOException {
		ClientHttpRequest request = factory
			.createRequest(URI.create(factory.nodes().addresses().get(0) + "/" + path), HttpMethod.PUT);
		request.getBody().write("{\"lease_id\":\"x\"}".getBytes(StandardCharsets.UTF_8));
		return request.execute();
	}

	private URI node(IntFunction<Answer> answers) {
		try {
			HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
			AtomicInteger count = new AtomicInteger();
			server.createContext("/", (exchange) -> {
				Answer answer = answers.apply(count.incrementAndGet());
				if (answer.location() != null) {
					exchange.getResponseHeaders().add("Location", answer.location());
				}
				byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
				exchange.sendResponseHeaders(answer.status(), (body.length > 0) ? body.length : -1);
				if (body.length > 0) {
					exchange.getResponseBody().write(body);
				}
				exchange.close();
			});
			server.start();
			this.servers.add(server);
			this.requests.put(server.getAddress().getPort(), count);
			return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private int count(URI node) {
		return this.requests.get(node.getPort()).get();
	}

	private static URI deadNode() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return URI.create("http://127.0.0.1:" + socket.getLocalPort());
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private record Answer(int status, String body, String location) {
	}

	private static final class VirtualTicker implements Ticker {

		private long now;

		private final List<Duration> slept = new ArrayList<>();

		@Override
		public long nanoTime() {
			return this.now;
		}

		@Override
		public void sleep(Duration duration) {
			this.slept.add(duration);
			this.now += duration.toNanos();
		}

	}

}
