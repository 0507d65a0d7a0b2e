package io.github.vaultdatasource.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

/**
 * A pass-through HTTP proxy in front of OpenBao that notes the time and kind of every request
 * (issue, renew, revoke, token, other) so both applications' Vault traffic is counted the same
 * way, on the wire. OpenBao 2 only accepts audit devices from its configuration file, which the
 * dev server the scripts start does not have. Paths and methods only: no header or body is kept.
 */
final class VaultRequestCounter implements AutoCloseable {

	private static final List<String> FORWARDED_HEADERS = List.of("X-Vault-Token", "X-Vault-Namespace",
			"X-Vault-Request", "Content-Type", "Accept");

	private final URI target;

	private final HttpServer server;

	private final ExecutorService executor = Executors.newFixedThreadPool(4, (runnable) -> {
		Thread thread = new Thread(runnable, "bench-vault-proxy");
		thread.setDaemon(true);
		return thread;
	});

	private final HttpClient client = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(Duration.ofSeconds(5))
		.build();

	private static final JsonMapper json = JsonMapper.builder().build();

	private final List<Request> requests = new ArrayList<>();

	// Issued passwords, kept in memory only so that logs can be searched for them: never printed,
	// never written, never part of a Request.
	private final Set<String> passwords = ConcurrentHashMap.newKeySet();

	VaultRequestCounter(String target) throws IOException {
		this.target = URI.create(target);
		this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
		this.server.createContext("/", this::forward);
		this.server.setExecutor(this.executor);
		this.server.start();
	}

	String address() {
		return "http://127.0.0.1:" + this.server.getAddress().getPort();
	}

	private void forward(HttpExchange exchange) throws IOException {
		try (exchange) {
			String method = exchange.getRequestMethod();
			String pathAndQuery = exchange.getRequestURI().getRawPath()
					+ ((exchange.getRequestURI().getRawQuery() != null) ? "?" + exchange.getRequestURI().getRawQuery()
							: "");
			byte[] body;
			try (InputStream in = exchange.getRequestBody()) {
				body = in.readAllBytes();
			}
			Request seen = record(method, exchange.getRequestURI().getPath());
			HttpRequest.Builder request = HttpRequest.newBuilder(this.target.resolve(pathAndQuery))
				.timeout(Duration.ofSeconds(30))
				.method(method, (body.length > 0) ? HttpRequest.BodyPublishers.ofByteArray(body)
						: HttpRequest.BodyPublishers.noBody());
			for (String header : FORWARDED_HEADERS) {
				String value = exchange.getRequestHeaders().getFirst(header);
				if (value != null) {
					request.header(header, value);
				}
			}
			HttpResponse<byte[]> response;
			try {
				response = this.client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				exchange.sendResponseHeaders(503, -1);
				return;
			}
			catch (IOException ex) {
				exchange.sendResponseHeaders(502, -1);
				return;
			}
			response.headers().firstValue("Content-Type").ifPresent((type) -> exchange.getResponseHeaders()
				.add("Content-Type", type));
			byte[] answer = response.body();
			if (seen.kind().equals("issue") && response.statusCode() == 200) {
				noteUsername(seen, answer);
			}
			exchange.sendResponseHeaders(response.statusCode(), (answer.length == 0) ? -1 : answer.length);
			if (answer.length > 0) {
				try (OutputStream out = exchange.getResponseBody()) {
					out.write(answer);
				}
			}
		}
	}

	/**
	 * Note which database user an issue request created, so that a pool's queries can be tied to
	 * the lease behind them. The password is only remembered for {@link #countPasswordsIn}.
	 */
	@SuppressWarnings("unchecked")
	private void noteUsername(Request seen, byte[] answer) {
		try {
			Map<String, Object> body = json.readValue(answer, Map.class);
			Object data = body.get("data");
			if (data instanceof Map<?, ?> map && map.get("password") instanceof String password && !password.isEmpty()) {
				this.passwords.add(password);
			}
			if (data instanceof Map<?, ?> map && map.get("username") instanceof String username) {
				synchronized (this.requests) {
					this.requests.set(this.requests.indexOf(seen), seen.withUsername(username));
				}
			}
		}
		catch (RuntimeException ex) {
			// Not JSON: counted all the same.
		}
	}

	private Request record(String method, String path) {
		String route = path.startsWith("/v1/") ? path.substring(4) : path;
		String kind;
		if (route.contains("/creds/")) {
			kind = "issue";
		}
		else if (route.startsWith("sys/leases/renew") || route.startsWith("sys/renew")) {
			kind = "renew";
		}
		else if (route.startsWith("sys/leases/revoke") || route.startsWith("sys/revoke")) {
			kind = "revoke";
		}
		else if (route.startsWith("auth/")) {
			kind = "token";
		}
		else {
			kind = "other " + method + " " + route;
		}
		Request request = new Request(Instant.now(), kind, null);
		synchronized (this.requests) {
			this.requests.add(request);
		}
		return request;
	}

	/**
	 * Return the requests seen since a time.
	 * @param since the time
	 * @return the requests, in arrival order
	 */
	List<Request> since(Instant since) {
		synchronized (this.requests) {
			return this.requests.stream().filter((request) -> !request.time().isBefore(since)).toList();
		}
	}

	/**
	 * Count how many times any password Vault issued through this proxy appears in a file, then
	 * replace each occurrence so that no password stays on disk. Only the count leaves this method.
	 * @param file a log file
	 * @return the number of occurrences
	 * @throws IOException if the file cannot be read or written
	 */
	long countPasswordsIn(Path file) throws IOException {
		if (!Files.exists(file)) {
			return 0;
		}
		String text = Files.readString(file, StandardCharsets.UTF_8);
		long count = 0;
		for (String password : this.passwords) {
			int at = text.indexOf(password);
			while (at >= 0) {
				count++;
				at = text.indexOf(password, at + password.length());
			}
			text = text.replace(password, "<password removed by the benchmark>");
		}
		if (count > 0) {
			Files.writeString(file, text, StandardCharsets.UTF_8);
		}
		return count;
	}

	static Map<String, Long> countByKind(List<Request> requests) {
		Map<String, Long> counts = new TreeMap<>();
		requests.forEach((request) -> counts.merge(request.kind(), 1L, Long::sum));
		return counts;
	}

	@Override
	public void close() {
		this.server.stop(0);
		this.executor.shutdownNow();
	}

	/**
	 * A request seen.
	 *
	 * @param time when it arrived
	 * @param kind issue, renew, revoke, token, or other with its method and path
	 * @param username for an issue, the database user it created
	 */
	record Request(Instant time, String kind, @Nullable String username) {

		Request withUsername(String name) {
			return new Request(this.time, this.kind, name);
		}

	}

}
