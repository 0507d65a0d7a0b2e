package io.github.vaultdatasource.vault;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link VaultHealthClient#serverStatus()} against real OpenBao servers of its own (the
 * {@code bao} binary the scripts installed), in the states the {@code vaultServer} health
 * indicator tells apart: active, sealed, uninitialised and unreachable.
 */
class VaultServerStatusIntegrationTests {

	private final VaultTestEnvironment env = VaultTestEnvironment.get();

	private final List<Process> servers = new ArrayList<>();

	@AfterEach
	void stopServers() {
		this.servers.forEach(Process::destroy);
	}

	@Test
	void activeThenSealed() throws Exception {
		int port = freePort();
		start("server", "-dev", "-dev-root-token-id=status-root", "-dev-listen-address=127.0.0.1:" + port);
		awaitServing(port);
		VaultServerStatus active = client(port).serverStatus();
		assertThat(active.reachable()).isTrue();
		assertThat(active.initialized()).isTrue();
		assertThat(active.sealed()).isFalse();
		assertThat(active.standby()).isFalse();
		assertThat(active.version()).startsWith("2.");
		assertThat(active.isServing()).isTrue();
		assertThat(active.node()).isEqualTo(URI.create("http://127.0.0.1:" + port));

		HttpResponse<String> seal = HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/sys/seal"))
				.header("X-Vault-Token", "status-root")
				.PUT(HttpRequest.BodyPublishers.noBody())
				.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(seal.statusCode()).isEqualTo(204);
		VaultServerStatus sealed = client(port).serverStatus();
		assertThat(sealed.reachable()).isTrue();
		assertThat(sealed.initialized()).isTrue();
		assertThat(sealed.sealed()).isTrue();
		assertThat(sealed.isServing()).isFalse();
	}

	@Test
	void uninitialized(@TempDir Path dir) throws Exception {
		int port = freePort();
		Path config = dir.resolve("server.hcl");
		Files.writeString(config, "storage \"inmem\" {}\nlistener \"tcp\" {\n  address = \"127.0.0.1:" + port
				+ "\"\n  tls_disable = true\n}\ndisable_mlock = true\n");
		start("server", "-config=" + config);
		awaitServing(port);
		VaultServerStatus status = client(port).serverStatus();
		assertThat(status.reachable()).isTrue();
		assertThat(status.initialized()).isFalse();
		assertThat(status.isServing()).isFalse();
	}

	@Test
	void unreachable() throws IOException {
		VaultServerStatus status = client(freePort()).serverStatus();
		assertThat(status.reachable()).isFalse();
		assertThat(status.isServing()).isFalse();
		assertThat(status.error()).contains("could not be reached");
	}

	private VaultHealthClient client(int port) {
		VaultNodes nodes = VaultNodes.of(List.of(URI.create("http://127.0.0.1:" + port)));
		return new VaultHealthClient(
				new FailoverClientHttpRequestFactory(nodes, Duration.ofSeconds(2), Duration.ofSeconds(2), null, null));
	}

	private void start(String... arguments) throws IOException {
		List<String> command = new ArrayList<>();
		command.add(this.env.variable("VDS_BAO_BIN"));
		command.addAll(List.of(arguments));
		this.servers.add(new ProcessBuilder(command).redirectErrorStream(true)
			.redirectOutput(ProcessBuilder.Redirect.DISCARD)
			.start());
	}

	// Answering HTTP, not only accepting connections: on a loaded machine a starting server can
	// take longer than the client's 2 s read timeout to answer its first request.
	private static void awaitServing(int port) {
		HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
		HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/sys/health"))
			.timeout(Duration.ofSeconds(5))
			.build();
		await("OpenBao answering on port " + port).atMost(Duration.ofSeconds(20))
			.pollInterval(Duration.ofMillis(100))
			.ignoreExceptions()
			.until(() -> http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() > 0);
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
