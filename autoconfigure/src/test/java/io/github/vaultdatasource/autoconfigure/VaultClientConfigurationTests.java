package io.github.vaultdatasource.autoconfigure;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariDataSource;
import io.github.vaultdatasource.vault.TokenFileAuthentication;
import io.github.vaultdatasource.vault.VaultHttp;
import io.github.vaultdatasource.vault.VaultNodes;
import io.github.vaultdatasource.vault.VaultTokenManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.vault.client.RestClientBuilder;
import org.springframework.vault.client.VaultEndpoint;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the Vault client settings of {@link VaultDataSourceAutoConfiguration}: the address
 * list, the SSL bundle, and the token-file, JWT and cert logins. Nothing here contacts a real Vault.
 */
class VaultClientConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, VaultDataSourceAutoConfiguration.class))
		.withPropertyValues("vault.database.role=app");

	@TempDir
	Path temp;

	@Test
	void uriTakesTheNodesOfACluster() {
		this.contextRunner
			.withPropertyValues("vault.token=t",
					"vault.uri=https://vault-0.example.com:8200, https://vault-1.example.com:8200,https://vault-2.example.com:8200")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(VaultNodes.class).addresses()).containsExactly(
						URI.create("https://vault-0.example.com:8200"), URI.create("https://vault-1.example.com:8200"),
						URI.create("https://vault-2.example.com:8200"));
				assertThat(context.getBean(VaultConnectionDetails.class).getUri())
					.isEqualTo(URI.create("https://vault-0.example.com:8200"));
			});
	}

	@Test
	void emptyUriFailsStartupNamingTheProperty() {
		this.contextRunner.withPropertyValues("vault.token=t", "vault.uri=")
			.run((context) -> assertThat(failure(context).getDescription()).contains("vault.uri is set but empty"));
	}

	@Test
	void unknownSslBundleFailsStartupNamingTheBundleProperties() {
		this.contextRunner.withPropertyValues("vault.token=t", "vault.ssl.bundle=vault").run((context) -> {
			VaultDataSourceException failure = failure(context);
			assertThat(failure.getDescription()).contains("vault.ssl.bundle=vault names no SSL bundle");
			assertThat(failure.getAction()).contains("spring.ssl.bundle.pem.vault.truststore.certificate");
		});
	}

	@Test
	void certLoginWithoutABundleFailsStartupNamingTheBundleProperty() {
		this.contextRunner.withPropertyValues("vault.authentication=cert").run((context) -> {
			VaultDataSourceException failure = failure(context);
			assertThat(failure.getDescription()).contains("vault.authentication=cert")
				.contains("vault.ssl.bundle is not set");
			assertThat(failure.getAction()).contains("keystore.certificate");
		});
	}

	@Test
	void jwtLoginWithoutARoleOrTokenFileFailsStartupNamingTheProperty() {
		this.contextRunner.withPropertyValues("vault.authentication=jwt")
			.run((context) -> assertThat(failure(context).getDescription()).contains("vault.jwt.role"));
		this.contextRunner.withPropertyValues("vault.authentication=jwt", "vault.jwt.role=app")
			.run((context) -> assertThat(failure(context).getDescription()).contains("vault.jwt.token-file"));
	}

	@Test
	void tokenAndTokenFileTogetherFailStartupNamingBoth() throws IOException {
		Path sink = Files.writeString(this.temp.resolve("token"), "hvs.sink");
		this.contextRunner.withPropertyValues("vault.token=hvs.static", "vault.token-file=" + sink)
			.run((context) -> assertThat(failure(context).getDescription()).contains("vault.token")
				.contains("vault.token-file"));
	}

	@Test
	void unreadableTokenFileFailsStartupNamingTheProperty() {
		Path missing = this.temp.resolve("missing");
		this.contextRunner.withPropertyValues("vault.token=", "vault.token-file=" + missing)
			.run((context) -> assertThat(failure(context).getDescription()).contains("vault.token-file=" + missing));
	}

	@Test
	void tokenFileLogsInAgainWhenTheAgentWritesAnotherToken() throws IOException {
		Path sink = Files.writeString(this.temp.resolve("token"), "hvs.first\n");
		// Spring Vault looks a token up after "login" (auth/token/lookup-self) to learn its TTL.
		HttpServer vault = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		vault.createContext("/", (exchange) -> {
			byte[] body = "{\"data\":{\"ttl\":600,\"renewable\":false,\"policies\":[\"default\"]}}".getBytes();
			exchange.getResponseHeaders().add("Content-Type", "application/json");
			exchange.sendResponseHeaders(200, body.length);
			exchange.getResponseBody().write(body);
			exchange.close();
		});
		vault.start();
		URI address = URI.create("http://127.0.0.1:" + vault.getAddress().getPort());
		VaultTokenManager tokens = new VaultTokenManager(new TokenFileAuthentication(sink),
				new VaultHttp(new SimpleClientHttpRequestFactory(), address, null),
				RestClientBuilder.builder().endpoint(VaultEndpoint.from(address)).build(), Clock.systemUTC());
		AtomicInteger relogins = new AtomicInteger();
		tokens.onRelogin(relogins::incrementAndGet);
		try {
			assertThat(tokens.getSessionToken().getToken()).isEqualTo("hvs.first");
			assertThat(tokens.canLogIn()).isTrue();
			rewrite(sink, "hvs.first\n", 1);
			assertThat(tokens.getSessionToken().getToken()).isEqualTo("hvs.first");
			assertThat(relogins).hasValue(0);
			rewrite(sink, "hvs.second\n", 2);
			assertThat(tokens.getSessionToken().getToken()).isEqualTo("hvs.second");
			assertThat(relogins).hasValue(1);
		}
		finally {
			tokens.destroy();
			vault.stop(0);
		}
	}

	@Test
	void aNamedDataSourceGetsItsCredentialsThroughTheNodesOfACluster() throws IOException {
		// The first node refuses connections; the second answers everything and records the paths.
		int refusing;
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			refusing = socket.getLocalPort();
		}
		List<String> paths = new CopyOnWriteArrayList<>();
		HttpServer vault = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		vault.createContext("/", (exchange) -> {
			String path = exchange.getRequestURI().getPath();
			paths.add(exchange.getRequestMethod() + " " + path);
			byte[] body = (path.equals("/v1/reporting/creds/reports")
					? "{\"lease_id\":\"reporting/creds/reports/AbCdEfGh0001\",\"lease_duration\":3600,"
							+ "\"renewable\":true,\"data\":{\"username\":\"v-reports-1\",\"password\":\"pw\"}}"
					: "{\"data\":{}}")
				.getBytes();
			exchange.getResponseHeaders().add("Content-Type", "application/json");
			exchange.sendResponseHeaders(200, body.length);
			exchange.getResponseBody().write(body);
			exchange.close();
		});
		vault.start();
		try {
			new ApplicationContextRunner()
				.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class,
						VaultDataSourceAutoConfiguration.class))
				.withPropertyValues("vault.token=t",
						"vault.uri=http://127.0.0.1:" + refusing + ",http://127.0.0.1:" + vault.getAddress().getPort(),
						"vault.datasources.reports.role=reports", "vault.datasources.reports.mount=reporting",
						"vault.database.validate-on-startup=false")
				.withBean("reports", HikariDataSource.class, () -> {
					HikariDataSource pool = new HikariDataSource();
					pool.setJdbcUrl("jdbc:postgresql://db.example.com:5432/reports");
					return pool;
				})
				.run((context) -> {
					assertThat(context).hasNotFailed();
					assertThat(context.getBean(HikariDataSource.class).getCredentialsProvider().getCredentials()
						.getUsername()).isEqualTo("v-reports-1");
				});
			assertThat(paths).contains("GET /v1/reporting/creds/reports");
		}
		finally {
			vault.stop(0);
		}
	}

	private static void rewrite(Path file, String content, int secondsLater) throws IOException {
		Files.writeString(file, content);
		Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(secondsLater)));
	}

	private static VaultDataSourceException failure(AssertableApplicationContext context) {
		assertThat(context).hasFailed();
		for (Throwable candidate = context.getStartupFailure(); candidate != null; candidate = candidate.getCause()) {
			if (candidate instanceof VaultDataSourceException found) {
				assertThat(found.getAction()).startsWith("Consider the following");
				return found;
			}
		}
		throw new AssertionError("No VaultDataSourceException in " + context.getStartupFailure());
	}

}
