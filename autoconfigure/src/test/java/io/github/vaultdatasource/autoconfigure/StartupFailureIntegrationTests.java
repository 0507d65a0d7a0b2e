package io.github.vaultdatasource.autoconfigure;

import java.io.IOException;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import io.github.vaultdatasource.testsupport.StartupFailures;
import io.github.vaultdatasource.testsupport.StartupFailures.Failed;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Integration tests for the startup failures a user meets when Vault, the token, the role or
 * {@code spring.datasource.url} is wrong: each must stop startup with a failure analysis that
 * names the property or Vault path at fault and says what to do, and never shows a secret.
 */
@ExtendWith(OutputCaptureExtension.class)
class StartupFailureIntegrationTests {

	private final VaultTestEnvironment environment = VaultTestEnvironment.get();

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(DataSourceAutoConfiguration.class, VaultDataSourceAutoConfiguration.class))
		.withPropertyValues("vault.connection-timeout=2s", "vault.read-timeout=5s");

	// Only the permission test needs a role of its own; the others fail before Vault looks it up.
	private final String role = this.environment.variable("VDS_DB_ROLE");

	private final List<Runnable> cleanups = new ArrayList<>();

	@AfterEach
	void cleanUp() {
		this.cleanups.forEach(Runnable::run);
	}

	@Test
	void unreachableVaultNamesVaultUri() throws IOException {
		String uri = "http://127.0.0.1:" + closedPort();
		Failed failed = startupFailure("spring.datasource.url=" + this.environment.jdbcUrl(),
				"vault.uri=" + uri, "vault.token=" + this.environment.rootToken(), "vault.database.role=" + this.role);
		assertThat(failed.analysis().getDescription()).contains(uri).contains("could not be reached");
		assertThat(failed.analysis().getAction()).contains("vault.uri=" + uri);
		failed.assertNoSecret(this.environment.rootToken());
	}

	@Test
	void wrongTokenNamesVaultTokenWithoutShowingIt() {
		String wrongToken = "s.wrong-" + UUID.randomUUID();
		Failed failed = startupFailure("spring.datasource.url=" + this.environment.jdbcUrl(),
				"vault.uri=" + this.environment.vaultAddress(), "vault.token=" + wrongToken,
				"vault.database.role=" + this.role);
		assertThat(failed.analysis().getDescription()).contains("vault.token");
		assertThat(failed.analysis().getAction()).contains("vault.token");
		failed.assertNoSecret(wrongToken);
	}

	@Test
	void unknownRoleNamesVaultDatabaseRoleAndPath() {
		String unknownRole = VaultTestEnvironment.uniqueName("nope");
		Failed failed = startupFailure("spring.datasource.url=" + this.environment.jdbcUrl(),
				"vault.uri=" + this.environment.vaultAddress(), "vault.token=" + this.environment.rootToken(),
				"vault.database.role=" + unknownRole);
		assertThat(failed.analysis().getDescription()).contains(this.environment.mount() + "/creds/" + unknownRole);
		assertThat(failed.analysis().getAction()).contains("vault.database.role=" + unknownRole);
		failed.assertNoSecret(this.environment.rootToken());
	}

	@Test
	void unknownRoleIsAnalysedTheSameWhenABeanUsesThePoolWhileTheContextStarts() {
		// A bean that logs in while the context starts, as a migration does: startup still stops with
		// the analysis of the missing credentials, not with a login error of the pool.
		String unknownRole = VaultTestEnvironment.uniqueName("nope");
		Failed failed = StartupFailures.start(this.contextRunner.withUserConfiguration(EarlyPoolUser.class)
			.withPropertyValues("spring.datasource.url=" + this.environment.jdbcUrl(),
					"vault.uri=" + this.environment.vaultAddress(), "vault.token=" + this.environment.rootToken(),
					"vault.database.role=" + unknownRole));
		assertThat(failed.analysis().getDescription()).contains(this.environment.mount() + "/creds/" + unknownRole);
		assertThat(failed.analysis().getAction()).contains("vault.database.role=" + unknownRole);
		failed.assertNoSecret(this.environment.rootToken());
	}

	@Test
	void aBeanThatUsesThePoolWhileTheContextStartsGetsTheFirstVaultIssuedUser() {
		this.contextRunner.withUserConfiguration(EarlyPoolUser.class)
			.withPropertyValues("spring.datasource.url=" + this.environment.jdbcUrl(),
					"vault.uri=" + this.environment.vaultAddress(), "vault.token=" + this.environment.rootToken(),
					"vault.database.role=" + this.role)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(EarlyPoolUser.class).user).startsWith("v-");
			});
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
		Failed failed = startupFailure("spring.datasource.url=" + this.environment.jdbcUrl(),
				"vault.uri=" + this.environment.vaultAddress(), "vault.token=" + token, "vault.database.role=" + role);
		assertThat(failed.analysis().getDescription()).contains(path).contains("permission denied");
		assertThat(failed.analysis().getAction()).contains("path \"" + path + "\" { capabilities = [\"read\"] }");
		failed.assertNoSecret(token);
	}

	@Test
	void missingUrlNamesSpringDatasourceUrl() {
		Failed failed = startupFailure("vault.uri=" + this.environment.vaultAddress(),
				"vault.token=" + this.environment.rootToken(), "vault.database.role=" + this.role);
		assertThat(failed.analysis().getDescription()).contains("spring.datasource.url");
		assertThat(failed.analysis().getAction()).contains("spring.datasource.url=jdbc:postgresql://");
		failed.assertNoSecret(this.environment.rootToken());
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
		Failed failed = startupFailure(
				"spring.datasource.url=" + this.environment.jdbcUrl() + "?user=someone&password=" + password,
				"vault.uri=" + this.environment.vaultAddress(), "vault.token=" + this.environment.rootToken(),
				"vault.database.role=" + this.role);
		assertThat(failed.analysis().getDescription()).contains("spring.datasource.url");
		assertThat(failed.analysis().getAction()).contains("spring.datasource.url");
		failed.assertNoSecret(password);
		failed.assertNoSecret(this.environment.rootToken());
	}

	private Failed startupFailure(String... properties) {
		return StartupFailures.start(this.contextRunner.withPropertyValues(properties));
	}

	private static int closedPort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

	/**
	 * Uses the pool while the context is being created, as Flyway or Liquibase does.
	 */
	static class EarlyPoolUser {

		final String user;

		EarlyPoolUser(DataSource dataSource) throws SQLException {
			try (Connection connection = dataSource.getConnection();
					Statement statement = connection.createStatement();
					ResultSet result = statement.executeQuery("SELECT current_user")) {
				result.next();
				this.user = result.getString(1);
			}
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration({ DataSourceAutoConfiguration.class, VaultDataSourceAutoConfiguration.class })
	static class MissingUrlApplication {

	}

}
