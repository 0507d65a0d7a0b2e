package io.github.vaultdatasource.vault;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;
import io.github.vaultdatasource.CredentialLease;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.vault.authentication.TokenAuthentication;
import org.springframework.vault.support.JacksonCompat;
import org.springframework.web.client.RestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the library's Vault clients ({@link VaultHttp}, {@link VaultRestClients}): its Vault
 * requests with a given token — the token's look-up, an issue, a renewal, a revocation and an error
 * answer — make no Jackson mapper and no {@code RestClient}, which keeps about 700 and 250 classes
 * out of an application's startup. Each test runs the requests in a class loader of its own, so
 * that classes the other tests loaded do not count.
 */
class VaultRestClientsTests {

	// Loaded when a Jackson mapper is made. ObjectMapper itself is loaded (three classes, never
	// initialised) by RestClient's check whether Jackson is on the class path.
	private static final String JACKSON = "tools.jackson.databind.json.JsonMapper";

	// Loaded when a RestClient is built.
	private static final String REST_CLIENT = "org.springframework.web.client.DefaultRestClient";

	private final List<String> requests = new CopyOnWriteArrayList<>();

	private HttpServer server;

	@BeforeEach
	void startVault() throws IOException {
		this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		this.server.createContext("/", (exchange) -> {
			String path = exchange.getRequestURI().getPath();
			this.requests.add(exchange.getRequestMethod() + " " + path + " token="
					+ exchange.getRequestHeaders().getFirst("X-Vault-Token"));
			exchange.getRequestBody().readAllBytes();
			String body = switch (path) {
				case "/v1/auth/token/lookup-self" -> "{\"data\":{\"ttl\":0,\"renewable\":false,\"policies\":[\"root\"]}}";
				case "/v1/database/creds/app" -> "{\"lease_id\":\"database/creds/app/Xq7R\",\"renewable\":true,"
						+ "\"lease_duration\":3600,\"data\":{\"username\":\"v-app-1\",\"password\":\"A1a-\\\"x\"}}";
				case "/v1/sys/leases/renew" -> "{\"lease_id\":\"database/creds/app/Xq7R\",\"renewable\":true,"
						+ "\"lease_duration\":60,\"warnings\":[\"TTL exceeded the effective max_ttl\"]}";
				case "/v1/database/roles/app" -> "{\"errors\":[\"permission denied\"]}";
				default -> "";
			};
			int status = path.endsWith("roles/app") ? 403 : body.isEmpty() ? 204 : 200;
			byte[] answer = body.getBytes(StandardCharsets.UTF_8);
			exchange.getResponseHeaders().add("Content-Type", "application/json");
			exchange.sendResponseHeaders(status, (answer.length > 0) ? answer.length : -1);
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(answer);
			}
		});
		this.server.start();
	}

	@AfterEach
	void stopVault() {
		this.server.stop(0);
	}

	@Test
	void theLibrarysRequestsLoadNeitherJacksonNorARestClient() throws Exception {
		try (OwnLoader loader = new OwnLoader()) {
			String outcome = (String) loader.loadClass(Requests.class.getName())
				.getMethod("run", String.class)
				.invoke(null, "http://127.0.0.1:" + this.server.getAddress().getPort());
			assertThat(outcome).isEqualTo("v-app-1 A1a-\"x 3600 s, renewed 60 s capped, max_ttl unknown");
			// The session manager looks the token up (a Map answer) beside the first request; the
			// rest are the secrets client's, in order.
			assertThat(this.requests).hasSize(5)
				.contains("GET /v1/auth/token/lookup-self token=s.root")
				.containsSubsequence("GET /v1/database/creds/app token=s.root", "PUT /v1/sys/leases/renew token=s.root",
						"GET /v1/database/roles/app token=s.root", "PUT /v1/sys/leases/revoke token=s.root");
			assertThat(loader.loaded(JACKSON)).isFalse();
			assertThat(loader.loaded(REST_CLIENT)).isFalse();
			assertThat(loader.loaded(Requests.class.getName())).isTrue();
		}
	}

	@Test
	void theCheckSeesJacksonWhenItIsLoaded() throws Exception {
		try (OwnLoader loader = new OwnLoader()) {
			loader.loadClass(Control.class.getName()).getMethod("run").invoke(null);
			assertThat(loader.loaded(JACKSON)).isTrue();
		}
	}

	@Test
	void theLazyRestClientIsBuiltWhenFirstUsed() throws Exception {
		try (OwnLoader loader = new OwnLoader()) {
			Class<?> lazy = loader.loadClass(LazyClient.class.getName());
			Object client = lazy.getMethod("create", String.class)
				.invoke(null, "http://127.0.0.1:" + this.server.getAddress().getPort());
			assertThat(loader.loaded(REST_CLIENT)).isFalse();
			assertThat(lazy.getMethod("use", Object.class).invoke(null, client)).isEqualTo("database/creds/app/Xq7R");
			assertThat(loader.loaded(REST_CLIENT)).isTrue();
			assertThat(this.requests).containsExactly("GET /v1/database/creds/app token=s.root");
		}
	}

	/** What the auto-configuration's client does at startup and after, in the test's own class loader. */
	public static final class Requests {

		public static String run(String address) {
			URI uri = URI.create(address);
			FailoverClientHttpRequestFactory requests = new FailoverClientHttpRequestFactory(
					VaultNodes.of(List.of(uri)), Duration.ofSeconds(2), Duration.ofSeconds(5), null, null);
			VaultTokenManager tokens = new VaultTokenManager(new TokenAuthentication("s.root"),
					new VaultHttp(requests, uri, null),
					VaultRestClients.lazy(() -> VaultRestClients.create(requests, uri, null)), Clock.systemUTC());
			VaultDatabaseSecretsClient client = new VaultDatabaseSecretsClient(tokens.http(), tokens, "database", "app",
					false, Clock.systemUTC());
			try {
				CredentialLease lease = client.issue();
				DatabaseSecretsClient.LeaseRenewal renewal = client.renew(lease, Duration.ofHours(1));
				String maxTtl = client.roleMaxTtl().map(Duration::toString).orElse("unknown");
				client.revoke(lease);
				tokens.lookedUp().join();
				return lease.username() + " " + lease.credentials().password() + " " + lease.ttl().toSeconds()
						+ " s, renewed " + renewal.granted().toSeconds() + " s" + (renewal.capped() ? " capped" : "")
						+ ", max_ttl " + maxTtl;
			}
			finally {
				tokens.setRevokeOnDestroy(false);
				tokens.destroy();
			}
		}

	}

	/** A lazy RestClient: created in one step, used for a request in the next. */
	public static final class LazyClient {

		public static Object create(String address) {
			URI uri = URI.create(address);
			return VaultRestClients.lazy(() -> VaultRestClients.create(new SimpleClientHttpRequestFactory(), uri, null));
		}

		public static String use(Object client) {
			Map<?, ?> answer = ((RestClient) client).get()
				.uri("database/creds/app")
				.header("X-Vault-Token", "s.root")
				.retrieve()
				.body(Map.class);
			return String.valueOf(answer.get("lease_id"));
		}

	}

	/** Spring Vault's own JSON converter, which loads Jackson: the control of the check. */
	public static final class Control {

		public static void run() {
			JacksonCompat.instance().createHttpMessageConverter();
		}

	}

	// The test's class path without the application class loader as parent: nothing loaded before counts.
	private static final class OwnLoader extends URLClassLoader {

		OwnLoader() {
			super(classPath(), ClassLoader.getPlatformClassLoader());
		}

		boolean loaded(String name) {
			return findLoadedClass(name) != null;
		}

		private static URL[] classPath() {
			List<URL> urls = new ArrayList<>();
			for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
				try {
					urls.add(Path.of(entry).toUri().toURL());
				}
				catch (MalformedURLException ex) {
					throw new IllegalStateException(ex);
				}
			}
			return urls.toArray(new URL[0]);
		}

	}

}
