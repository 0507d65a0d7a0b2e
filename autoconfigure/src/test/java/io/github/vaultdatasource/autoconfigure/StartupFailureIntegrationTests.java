package io.github.vaultdatasource.autoconfigure;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.io.support.SpringFactoriesLoader;
import org.springframework.core.io.support.SpringFactoriesLoader.ArgumentResolver;
import org.springframework.core.io.support.SpringFactoriesLoader.FailureHandler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Integration tests for the startup failures a user meets when Vault, the token, the role or
 * {@code spring.datasource.url} is wrong: each must stop startup with a failure analysis that
 * names the property or Vault path at fault and says what to do, and never shows a secret.
 */
@ExtendWith(OutputCaptureExtension.class)
class StartupFailureIntegrationTests {

	private static final Log logger = LogFactory.getLog(StartupFailureIntegrationTests.class);

	private final VaultTestEnvironment environment = VaultTestEnvironment.get();

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(DataSourceAutoConfiguration.class, VaultDataSourceAutoConfiguration.class))
		.withPropertyValues("vault.connection-timeout=2s", "vault.read-timeout=5s");

	// Only the permission test needs a role of its own; the others fail before Vault looks it up.
	private final String role = this.environment.variable("VDS_DB_ROLE");

	private final List<Runnable> cleanups = new ArrayList<>();

	private Throwable failure;

	@AfterEach
	void cleanUp() {
		this.cleanups.forEach(Runnable::run);
	}

	@Test
	void unreachableVaultNamesVaultUri() throws IOException {
		String uri = "http://127.0.0.1:" + closedPort();
		FailureAnalysis analysis = startupFailure("spring.datasource.url=" + this.environment.jdbcUrl(),
				"vault.uri=" + uri, "vault.token=" + this.environment.rootToken(), "vault.database.role=" + this.role);
		assertThat(analysis.getDescription()).contains(uri).contains("could not be reached");
		assertThat(analysis.getAction()).contains("vault.uri=" + uri);
		assertNoSecret(analysis, this.environment.rootToken());
	}

	@Test
	void wrongTokenNamesVaultTokenWithoutShowingIt() {
		String wrongToken = "s.wrong-" + UUID.randomUUID();
		FailureAnalysis analysis = startupFailure("spring.datasource.url=" + this.environment.jdbcUrl(),
				"vault.uri=" + this.environment.vaultAddress(), "vault.token=" + wrongToken,
				"vault.database.role=" + this.role);
		assertThat(analysis.getDescription()).contains("vault.token");
		assertThat(analysis.getAction()).contains("vault.token");
		assertNoSecret(analysis, wrongToken);
	}

	@Test
	void unknownRoleNamesVaultDatabaseRoleAndPath() {
		String unknownRole = VaultTestEnvironment.uniqueName("nope");
		FailureAnalysis analysis = startupFailure("spring.datasource.url=" + this.environment.jdbcUrl(),
				"vault.uri=" + this.environment.vaultAddress(), "vault.token=" + this.environment.rootToken(),
				"vault.database.role=" + unknownRole);
		assertThat(analysis.getDescription()).contains(this.environment.mount() + "/creds/" + unknownRole);
		assertThat(analysis.getAction()).contains("vault.database.role=" + unknownRole);
		assertNoSecret(analysis, this.environment.rootToken());
	}

	@Test
	void tokenWithoutPolicyForTheRoleNamesPathAndShowsPolicy() {
		String role = VaultTestEnvironment.uniqueName("it-denied");
		this.environment.createRole(role, "1m", "5m");
		this.cleanups.add(() -> this.environment.deleteRole(role));
		String policy = VaultTestEnvironment.uniqueName("it-other");
		this.environment.createPolicy(policy, "path \"secret/data/" + policy + "\" { capabilities = [\"read\"] }");
		this.cleanups.add(() -> this.environment.deletePolicy(policy));
		String token = (String) this.environment
			.expectSuccess(this.environment.vault("POST", "auth/token/create",
					Map.of("policies", List.of(policy), "ttl", "5m", "display_name", "it-fail")), "token")
			.auth()
			.get("client_token");
		this.cleanups.add(() -> this.environment.vault("POST", "auth/token/revoke", Map.of("token", token)));
		String path = this.environment.mount() + "/creds/" + role;
		FailureAnalysis analysis = startupFailure("spring.datasource.url=" + this.environment.jdbcUrl(),
				"vault.uri=" + this.environment.vaultAddress(), "vault.token=" + token, "vault.database.role=" + role);
		assertThat(analysis.getDescription()).contains(path).contains("permission denied");
		assertThat(analysis.getAction()).contains("path \"" + path + "\" { capabilities = [\"read\"] }");
		assertNoSecret(analysis, token);
	}

	@Test
	void missingUrlNamesSpringDatasourceUrl() {
		FailureAnalysis analysis = startupFailure("vault.uri=" + this.environment.vaultAddress(),
				"vault.token=" + this.environment.rootToken(), "vault.database.role=" + this.role);
		assertThat(analysis.getDescription()).contains("spring.datasource.url");
		assertThat(analysis.getAction()).contains("spring.datasource.url=jdbc:postgresql://");
		assertNoSecret(analysis, this.environment.rootToken());
	}

	@Test
	void missingUrlIsReportedWhenSpringApplicationFailsToStart(CapturedOutput output) {
		SpringApplication application = new SpringApplication(MissingUrlApplication.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		String[] args = { "--spring.main.banner-mode=off", "--vault.uri=" + this.environment.vaultAddress(),
				"--vault.token=" + this.environment.rootToken(), "--vault.database.role=" + this.role };
		assertThatException().isThrownBy(() -> application.run(args).close());
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("spring.datasource.url is not set")
			.contains("Consider the following: set spring.datasource.url")
			.doesNotContain(this.environment.rootToken());
	}

	@Test
	void credentialsInUrlNameSpringDatasourceUrlWithoutShowingThem() {
		String password = "pw-" + UUID.randomUUID();
		FailureAnalysis analysis = startupFailure(
				"spring.datasource.url=" + this.environment.jdbcUrl() + "?user=someone&password=" + password,
				"vault.uri=" + this.environment.vaultAddress(), "vault.token=" + this.environment.rootToken(),
				"vault.database.role=" + this.role);
		assertThat(analysis.getDescription()).contains("spring.datasource.url");
		assertThat(analysis.getAction()).contains("spring.datasource.url");
		assertNoSecret(analysis, password);
		assertNoSecret(analysis, this.environment.rootToken());
	}

	/**
	 * Start a context that must fail and analyse the failure the way Spring Boot's
	 * {@code FailureAnalyzers} does: every {@link FailureAnalyzer} registered in
	 * {@code META-INF/spring.factories}, created with the context's bean factory and environment
	 * as constructor arguments, in order, skipping those whose classes are missing; the first
	 * analysis wins.
	 */
	private FailureAnalysis startupFailure(String... properties) {
		AtomicReference<ConfigurableApplicationContext> started = new AtomicReference<>();
		AtomicReference<Throwable> failure = new AtomicReference<>();
		this.contextRunner.withPropertyValues(properties).withInitializer(started::set).run((context) -> {
			assertThat(context).hasFailed();
			failure.set(context.getStartupFailure());
		});
		this.failure = failure.get();
		FailureAnalysis analysis = analyze(failure.get(), started.get());
		assertThat(analysis).as("failure analysis of %s", failure.get()).isNotNull();
		assertThat(analysis.getDescription()).isNotBlank();
		assertThat(analysis.getAction()).startsWith("Consider the following:");
		return analysis;
	}

	private static FailureAnalysis analyze(Throwable failure, ConfigurableApplicationContext context) {
		ArgumentResolver arguments = ArgumentResolver.of(BeanFactory.class, context.getBeanFactory())
			.and(Environment.class, context.getEnvironment());
		List<FailureAnalyzer> analyzers = SpringFactoriesLoader
			.forDefaultResourceLocation(StartupFailureIntegrationTests.class.getClassLoader())
			.load(FailureAnalyzer.class, arguments, FailureHandler.logging(logger));
		for (FailureAnalyzer analyzer : analyzers) {
			FailureAnalysis analysis = analyzer.analyze(failure);
			if (analysis != null) {
				return analysis;
			}
		}
		return null;
	}

	private void assertNoSecret(FailureAnalysis analysis, String secret) {
		assertThat(analysis.getDescription()).doesNotContain(secret);
		assertThat(analysis.getAction()).doesNotContain(secret);
		// Boot logs the whole exception chain at DEBUG and many applications log it again.
		for (Throwable cause = this.failure; cause != null; cause = cause.getCause()) {
			assertThat(String.valueOf(cause.getMessage())).as("message of %s", cause.getClass().getName())
				.doesNotContain(secret);
		}
	}

	private static int closedPort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ DataSourceAutoConfiguration.class, VaultDataSourceAutoConfiguration.class })
	static class MissingUrlApplication {

	}

}
