package io.github.vaultdatasource.autoconfigure;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import io.github.vaultdatasource.testsupport.AuthMethodFixture;
import io.github.vaultdatasource.testsupport.ScriptedServers;
import io.github.vaultdatasource.testsupport.StartupFailures;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests for {@code vault.authentication=kubernetes} against OpenBao's real
 * {@code kubernetes} auth method and a real Kubernetes API server ({@code scripts/kubernetes.sh}:
 * kube-apiserver on etcd, on loopback). The service account tokens come from the TokenRequest API,
 * and OpenBao asks the API server's TokenReview about each login, so a token from the wrong
 * namespace and the token of a deleted ServiceAccount are refused as they would be in a cluster.
 */
class KubernetesAuthenticationIntegrationTests {

	private static final String NAMESPACE = "shop";

	private static final String SERVICE_ACCOUNT = "orders";

	private static final JsonMapper json = JsonMapper.builder().build();

	private static ScriptedServers kubernetes;

	private static HttpClient kubeClient;

	private final VaultTestEnvironment environment = VaultTestEnvironment.get();

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(DataSourceAutoConfiguration.class, VaultDataSourceAutoConfiguration.class))
		.withPropertyValues("spring.datasource.url=" + this.environment.jdbcUrl(),
				"vault.uri=" + this.environment.vaultAddress(), "vault.authentication=kubernetes");

	@TempDir
	Path temp;

	@AutoClose
	private AuthMethodFixture kubernetesAuth;

	@BeforeAll
	static void startKubernetes() throws Exception {
		// A cold build of kube-apiserver takes minutes; scripts/test.sh starts it in the background early.
		kubernetes = ScriptedServers.up("kubernetes.sh", "kubernetes/env", Duration.ofMinutes(40));
		kubeClient = HttpClient.newBuilder()
			.sslContext(trusting(Path.of(kubernetes.variable("VDS_K8S_CA_FILE"))))
			.connectTimeout(Duration.ofSeconds(5))
			.build();
		for (String namespace : List.of(NAMESPACE, "other")) {
			kube("POST", "/api/v1/namespaces", Map.of("metadata", Map.of("name", namespace)));
			kube("POST", "/api/v1/namespaces/" + namespace + "/serviceaccounts",
					Map.of("metadata", Map.of("name", SERVICE_ACCOUNT)));
		}
	}

	@AfterAll
	static void stopKubernetes() {
		kubernetes.down();
	}

	@BeforeEach
	void setUpKubernetesAuth() throws IOException {
		this.kubernetesAuth = AuthMethodFixture.mount(this.environment, "it-k8s", "kubernetes");
		this.kubernetesAuth.write("config", Map.of("kubernetes_host", kubernetes.variable("VDS_K8S_API_URL"),
				"kubernetes_ca_cert", Files.readString(Path.of(kubernetes.variable("VDS_K8S_CA_FILE"))),
				"token_reviewer_jwt", Files.readString(Path.of(kubernetes.variable("VDS_K8S_REVIEWER_JWT_FILE"))).trim()));
		this.kubernetesAuth.write("role/" + this.kubernetesAuth.role(),
				Map.of("bound_service_account_names", List.of(SERVICE_ACCOUNT), "bound_service_account_namespaces",
						List.of(NAMESPACE), "token_policies", List.of(this.kubernetesAuth.role()), "token_ttl", "10m"));
	}

	@Test
	void logsInWithAServiceAccountTokenFromTheTokenRequestApi() throws Exception {
		Path tokenFile = tokenFile(NAMESPACE, SERVICE_ACCOUNT);
		// The token's display name comes from the auth mount path: "v-kubernet-…".
		this.kubernetesAuth.assertServesAsAnIssuedUserAndRevokesItOnShutdown(
				this.contextRunner.withPropertyValues(login(tokenFile)), "v-kubernet");
	}

	@Test
	void tokenFromTheWrongNamespaceIsRefusedWithAClearError() throws Exception {
		Path tokenFile = tokenFile("other", SERVICE_ACCOUNT);
		this.contextRunner.withPropertyValues(login(tokenFile)).run((context) -> {
			VaultDataSourceException failure = StartupFailures.cause(context.getStartupFailure(),
					VaultDataSourceException.class);
			assertThat(failure.getDescription()).contains("with KUBERNETES failed").contains("namespace not authorized");
			assertThat(failure.getAction()).contains("vault.kubernetes.role=" + this.kubernetesAuth.role());
		});
	}

	@Test
	void tokenOfADeletedServiceAccountIsRefused() throws Exception {
		String doomed = VaultTestEnvironment.uniqueName("doomed");
		kube("POST", "/api/v1/namespaces/" + NAMESPACE + "/serviceaccounts", Map.of("metadata", Map.of("name", doomed)));
		this.kubernetesAuth.write("role/" + this.kubernetesAuth.role(),
				Map.of("bound_service_account_names", List.of(SERVICE_ACCOUNT, doomed),
						"bound_service_account_namespaces", List.of(NAMESPACE), "token_policies",
						List.of(this.kubernetesAuth.role())));
		Path tokenFile = tokenFile(NAMESPACE, doomed);
		kube("DELETE", "/api/v1/namespaces/" + NAMESPACE + "/serviceaccounts/" + doomed, null);
		this.contextRunner.withPropertyValues(login(tokenFile)).run((context) -> {
			VaultDataSourceException failure = StartupFailures.cause(context.getStartupFailure(),
					VaultDataSourceException.class);
			assertThat(failure.getDescription()).contains("with KUBERNETES failed").contains("403");
			assertThat(failure.getAction()).contains("vault.kubernetes.service-account-token-file");
		});
	}

	private String[] login(Path tokenFile) {
		String role = this.kubernetesAuth.role();
		return new String[] { "vault.database.role=" + role, "vault.kubernetes.role=" + role,
				"vault.kubernetes.path=" + this.kubernetesAuth.path(),
				"vault.kubernetes.service-account-token-file=" + tokenFile };
	}

	private Path tokenFile(String namespace, String serviceAccount) throws Exception {
		Map<String, Object> answer = kube("POST",
				"/api/v1/namespaces/" + namespace + "/serviceaccounts/" + serviceAccount + "/token",
				Map.of("apiVersion", "authentication.k8s.io/v1", "kind", "TokenRequest", "spec",
						Map.of("expirationSeconds", 3600)));
		@SuppressWarnings("unchecked")
		String token = (String) ((Map<String, Object>) answer.get("status")).get("token");
		Path file = this.temp.resolve(namespace + "-" + serviceAccount + ".token");
		Files.writeString(file, token);
		return file;
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> kube(String method, String path, Object body) throws Exception {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(kubernetes.variable("VDS_K8S_API_URL") + path))
			.timeout(Duration.ofSeconds(20))
			.header("Authorization",
					"Bearer " + Files.readString(Path.of(kubernetes.variable("VDS_K8S_ADMIN_TOKEN_FILE"))).trim())
			.header("Content-Type", "application/json")
			.method(method, (body != null) ? HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))
					: HttpRequest.BodyPublishers.noBody());
		HttpResponse<String> response = kubeClient.send(request.build(), HttpResponse.BodyHandlers.ofString());
		// 409: already there from an earlier run against the same API server.
		if (response.statusCode() / 100 != 2 && response.statusCode() != 409) {
			throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ": "
					+ response.body());
		}
		return response.body().isBlank() ? Map.of() : json.readValue(response.body(), Map.class);
	}

	private static SSLContext trusting(Path caFile) throws Exception {
		X509Certificate ca;
		try (var in = Files.newInputStream(caFile)) {
			ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
		}
		KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
		trust.load(null, null);
		trust.setCertificateEntry("kubernetes-ca", ca);
		TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
		factory.init(trust);
		SSLContext context = SSLContext.getInstance("TLS");
		context.init(null, factory.getTrustManagers(), null);
		return context;
	}

}
