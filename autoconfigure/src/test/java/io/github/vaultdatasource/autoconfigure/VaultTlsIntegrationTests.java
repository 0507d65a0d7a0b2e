package io.github.vaultdatasource.autoconfigure;

import java.time.Duration;

import javax.sql.DataSource;

import io.github.vaultdatasource.health.VaultServerHealthIndicator;
import io.github.vaultdatasource.testsupport.ScriptedServers;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * TLS between the application and real OpenBao servers started by {@code scripts/vault-tls.sh}: a
 * dev server with a CA of its own, and a non-dev server that requires a client certificate and
 * offers the {@code cert} login. Trust and the client certificate come from Boot SSL bundles
 * ({@code vault.ssl.bundle}).
 */
class VaultTlsIntegrationTests {

	private static ScriptedServers servers;

	private final VaultTestEnvironment environment = VaultTestEnvironment.get();

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, DataSourceAutoConfiguration.class,
				VaultDataSourceAutoConfiguration.class, VaultDataSourceHealthAutoConfiguration.class))
		.withPropertyValues("spring.datasource.url=" + this.environment.jdbcUrl(), "vault.database.role=app",
				"vault.read-timeout=5s");

	@BeforeAll
	static void startServers() {
		servers = ScriptedServers.up("vault-tls.sh", "tls/env", Duration.ofMinutes(3));
	}

	@AfterAll
	static void stopServers() {
		servers.down();
	}

	@Test
	void privateCaFromAPemBundleIsTrusted() {
		this.contextRunner
			.withPropertyValues("vault.uri=" + servers.variable("VDS_TLS_ADDR"),
					"vault.token=" + servers.variable("VDS_TLS_TOKEN"), "vault.ssl.bundle=vault",
					"spring.ssl.bundle.pem.vault.truststore.certificate=file:" + servers.variable("VDS_TLS_CA_FILE"))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(VaultDataSourceIntegrationTests.currentUser(context.getBean(DataSource.class)))
					.startsWith("v-token-app-");
				Health health = context.getBean(VaultServerHealthIndicator.class).health();
				assertThat(health.getStatus()).isEqualTo(Status.UP);
				assertThat(health.getDetails()).containsEntry("node", servers.variable("VDS_TLS_ADDR"));
			});
	}

	@Test
	void untrustedCertificateFailsStartupNamingTheBundleToConfigure() {
		this.contextRunner
			.withPropertyValues("vault.uri=" + servers.variable("VDS_TLS_ADDR"),
					"vault.token=" + servers.variable("VDS_TLS_TOKEN"))
			.run((context) -> {
				FailureAnalysis analysis = tlsAnalysis(context);
				assertThat(analysis.getDescription()).contains("not trusted")
					.contains(servers.variable("VDS_TLS_ADDR"));
				assertThat(analysis.getAction()).contains("vault.ssl.bundle")
					.contains("spring.ssl.bundle.pem.vault.truststore.certificate");
			});
	}

	@Test
	void bundleWithTheWrongCaFailsStartupNamingThatBundle() {
		this.contextRunner
			.withPropertyValues("vault.uri=" + servers.variable("VDS_TLS_ADDR"),
					"vault.token=" + servers.variable("VDS_TLS_TOKEN"), "vault.ssl.bundle=corporate",
					"spring.ssl.bundle.pem.corporate.truststore.certificate=file:"
							+ servers.variable("VDS_MTLS_CA_FILE"))
			.run((context) -> {
				FailureAnalysis analysis = tlsAnalysis(context);
				assertThat(analysis.getDescription()).contains("SSL bundle 'corporate'");
				assertThat(analysis.getAction()).contains("spring.ssl.bundle.pem.corporate.truststore.certificate");
			});
	}

	@Test
	void httpsToAPlainHttpPortIsNamedAsSuch() {
		String plain = this.environment.vaultAddress().replace("http://", "https://");
		this.contextRunner.withPropertyValues("vault.uri=" + plain, "vault.token=" + this.environment.rootToken())
			.run((context) -> {
				FailureAnalysis analysis = tlsAnalysis(context);
				assertThat(analysis.getDescription()).contains("plain HTTP");
				assertThat(analysis.getAction()).contains("http://" + plain.substring("https://".length()));
			});
	}

	@Test
	void httpToAnHttpsPortIsNamedAsSuch() {
		String http = servers.variable("VDS_TLS_ADDR").replace("https://", "http://");
		this.contextRunner.withPropertyValues("vault.uri=" + http, "vault.token=" + servers.variable("VDS_TLS_TOKEN"))
			.run((context) -> {
				FailureAnalysis analysis = tlsAnalysis(context);
				assertThat(analysis.getDescription()).contains("serves HTTPS");
				assertThat(analysis.getAction()).contains("https://");
			});
	}

	@Test
	void mutualTlsWithTheBundlesClientCertificate() {
		this.contextRunner.withPropertyValues(mtls(servers.variable("VDS_MTLS_ADDR")))
			.withPropertyValues("vault.token=" + servers.variable("VDS_MTLS_TOKEN"))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				// The initial root token's display name is "root".
				assertThat(VaultDataSourceIntegrationTests.currentUser(context.getBean(DataSource.class)))
					.startsWith("v-root-app-");
			});
	}

	@Test
	void hostnameVerificationRejectsAnAddressTheCertificateDoesNotName() {
		// The mTLS server's certificate names DNS:localhost only.
		this.contextRunner.withPropertyValues(mtls(servers.variable("VDS_MTLS_IP_ADDR")))
			.withPropertyValues("vault.token=" + servers.variable("VDS_MTLS_TOKEN"))
			.run((context) -> {
				FailureAnalysis analysis = tlsAnalysis(context);
				assertThat(analysis.getDescription()).contains("SSL bundle 'vault'")
					.containsIgnoringCase("subject alternative name");
				assertThat(analysis.getAction()).contains("address Vault by a name its certificate holds");
			});
	}

	@Test
	void certLoginWithTheBundlesClientCertificate() {
		this.contextRunner.withPropertyValues(mtls(servers.variable("VDS_MTLS_ADDR")))
			.withPropertyValues("vault.authentication=cert")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				// The username carries the token's display name: the cert auth mount and the role.
				assertThat(VaultDataSourceIntegrationTests.currentUser(context.getBean(DataSource.class)))
					.startsWith("v-cert-");
			});
	}

	@Test
	void clientCertificateFromAnUntrustedCaIsRefused() {
		this.contextRunner.withPropertyValues(mtls(servers.variable("VDS_MTLS_ADDR")))
			.withPropertyValues("vault.authentication=cert",
					"spring.ssl.bundle.pem.vault.keystore.certificate=file:"
							+ servers.variable("VDS_MTLS_UNTRUSTED_CLIENT_CERT_FILE"),
					"spring.ssl.bundle.pem.vault.keystore.private-key=file:"
							+ servers.variable("VDS_MTLS_UNTRUSTED_CLIENT_KEY_FILE"))
			.run((context) -> {
				FailureAnalysis analysis = tlsAnalysis(context);
				assertThat(analysis.getDescription()).contains("refused the TLS client certificate")
					.contains("SSL bundle 'vault'");
				assertThat(analysis.getAction()).contains("spring.ssl.bundle.pem.vault.keystore.certificate");
			});
	}

	private static String[] mtls(String address) {
		return new String[] { "vault.uri=" + address, "vault.ssl.bundle=vault",
				"spring.ssl.bundle.pem.vault.truststore.certificate=file:" + servers.variable("VDS_MTLS_CA_FILE"),
				"spring.ssl.bundle.pem.vault.keystore.certificate=file:" + servers.variable("VDS_MTLS_CLIENT_CERT_FILE"),
				"spring.ssl.bundle.pem.vault.keystore.private-key=file:" + servers.variable("VDS_MTLS_CLIENT_KEY_FILE") };
	}

	private static FailureAnalysis tlsAnalysis(AssertableApplicationContext context) {
		assertThat(context).hasFailed();
		FailureAnalysis analysis = new VaultTlsFailureAnalyzer().analyze(context.getStartupFailure());
		assertThat(analysis).as("TLS failure analysis of %s", context.getStartupFailure()).isNotNull();
		assertThat(analysis.getAction()).startsWith("Consider the following");
		return analysis;
	}

}
