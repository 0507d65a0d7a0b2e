package io.github.vaultdatasource.autoconfigure;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import io.github.vaultdatasource.testsupport.StartupFailures;
import io.github.vaultdatasource.testsupport.StartupFailures.Failed;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Configuration mistakes met against the real OpenBao and PostgreSQL: the ones that cannot work stop
 * startup with a failure analysis naming the property and the fix, and leave no database user
 * behind; the ones that work but are probably not meant are one clear WARN each. (Vault, token
 * and role mistakes are in {@code StartupFailureIntegrationTests}.)
 */
@ExtendWith(OutputCaptureExtension.class)
class MisconfigurationIntegrationTests {

	private final VaultTestEnvironment env = VaultTestEnvironment.get();

	private final List<Runnable> cleanups = new CopyOnWriteArrayList<>();

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(DataSourceAutoConfiguration.class, VaultDataSourceAutoConfiguration.class))
		.withPropertyValues("vault.connection-timeout=2s", "vault.read-timeout=5s",
				"vault.uri=" + this.env.vaultAddress(), "vault.token=" + this.env.rootToken());

	@AfterEach
	void cleanUp() {
		this.cleanups.forEach(Runnable::run);
	}

	private String role(String defaultTtl, String maxTtl) {
		String role = VaultTestEnvironment.uniqueName("mis");
		this.env.createRole(role, defaultTtl, maxTtl);
		this.cleanups.add(() -> this.env.deleteRole(role));
		return role;
	}

	@Test
	void aWrongDatabaseNameStopsStartupNamingTheUrlAndLeavesNoUser() {
		String role = role("1m", "5m");
		String url = this.env.jdbcUrl().replaceAll("/[^/?]+$", "/no_such_db");
		Failed failed = StartupFailures.start(this.runner.withPropertyValues("spring.datasource.url=" + url,
				"vault.database.role=" + role));
		assertThat(failed.analysis().getDescription()).contains("spring.datasource.url=" + url)
			.contains("no_such_db")
			.contains("3D000")
			.contains("The lease was revoked");
		assertThat(failed.analysis().getAction()).contains("database named in spring.datasource.url");
		assertThat(this.env.issuedUsers(role)).isEmpty();
		assertThat(this.env.leases(this.env.mount() + "/creds/" + role)).isEmpty();
		failed.assertNoSecret(this.env.rootToken());
	}

	@Test
	void aWrongPortStopsStartupSayingToCheckHostAndPort() throws Exception {
		String role = role("1m", "5m");
		int closed;
		try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
			closed = socket.getLocalPort();
		}
		URI jdbc = URI.create(this.env.jdbcUrl().substring("jdbc:".length()));
		String url = "jdbc:postgresql://127.0.0.1:" + closed + jdbc.getPath();
		Failed failed = StartupFailures.start(this.runner.withPropertyValues("spring.datasource.url=" + url,
				"vault.database.role=" + role));
		assertThat(failed.analysis().getDescription()).contains(url).contains("08001");
		assertThat(failed.analysis().getAction()).contains("host and port");
		assertThat(this.env.leases(this.env.mount() + "/creds/" + role)).isEmpty();
	}

	@Test
	void aRoleWhoseSqlFailsInTheDatabaseShowsVaultsErrorQuotesAndAll() {
		String role = VaultTestEnvironment.uniqueName("mis-sql");
		String creation = "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; "
				+ "GRANT SELECT ON \"no_such_table\" TO \"{{name}}\";";
		this.env.expectSuccess(this.env.vault("POST", "database/roles/" + role,
				Map.of("db_name", this.env.variable("VDS_DB"), "creation_statements", List.of(creation),
						"default_ttl", "1m", "max_ttl", "5m")),
				"role with failing SQL");
		this.cleanups.add(() -> this.env.deleteRole(role));
		Failed failed = StartupFailures.start(this.runner
			.withPropertyValues("spring.datasource.url=" + this.env.jdbcUrl(), "vault.database.role=" + role));
		assertThat(failed.analysis().getDescription()).contains("failed to issue")
			.contains("500")
			.contains("\"no_such_table\"")
			.doesNotContain("could not be reached");
		assertThat(failed.analysis().getAction()).contains("creation_statements");
	}

	@Test
	void aWrongMountNamesVaultDatabaseMount() {
		String role = role("1m", "5m");
		Failed failed = StartupFailures.start(this.runner.withPropertyValues(
				"spring.datasource.url=" + this.env.jdbcUrl(), "vault.database.role=" + role,
				"vault.database.mount=no-such-mount"));
		assertThat(failed.analysis().getDescription()).contains("no-such-mount/creds/" + role);
		assertThat(failed.analysis().getAction()).contains("vault.database.mount=no-such-mount");
	}

	@Test
	void anEmptyVaultUriIsRefusedInsteadOfMeaningTheDefault() {
		Failed failed = StartupFailures.start(this.runner.withPropertyValues(
				"spring.datasource.url=" + this.env.jdbcUrl(), "vault.database.role=app", "vault.uri="));
		assertThat(failed.analysis().getDescription()).contains("vault.uri is set but empty");
		assertThat(failed.analysis().getAction()).contains("vault.uri=");
	}

	@Test
	void anInvalidLeaseSettingIsNamedByItsProperty() {
		Failed failed = StartupFailures.start(this.runner.withPropertyValues(
				"spring.datasource.url=" + this.env.jdbcUrl(), "vault.database.role=app", "vault.lease.renew-at=1.5"));
		assertThat(failed.analysis().getDescription()).contains("vault.lease.renew-at=1.5");
		assertThat(failed.analysis().getAction()).contains("vault.lease.renew-at=0.5");
	}

	@Test
	void ignoredDatasourceCredentialsAndAMisspelledPropertyAreOneWarnEach(CapturedOutput output) {
		String role = role("1m", "5m");
		this.runner
			.withPropertyValues("spring.datasource.url=" + this.env.jdbcUrl(), "vault.database.role=" + role,
					"spring.datasource.username=app", "spring.datasource.password=app-password",
					"vault.databse.role=" + role, "vault.lease.renew-att=0.6")
			.run((context) -> assertThat(context).hasNotFailed());
		String logs = output.getAll();
		assertThat(logs).contains("spring.datasource.username and spring.datasource.password are ignored")
			.contains("vault.databse.role is not a vault-datasource property and is ignored; did you mean "
					+ "vault.database.role?")
			.contains("vault.lease.renew-att is not a vault-datasource property and is ignored; did you mean "
					+ "vault.lease.renew-at?")
			.doesNotContain("app-password");
		assertThat(logs.split("is not a vault-datasource property", -1)).hasSize(3);
	}

	@Test
	void aShortMaxTtlAndALongerPoolLifetimeAreOneWarnEach(CapturedOutput output) {
		String role = role("10s", "20s");
		this.runner
			.withPropertyValues("spring.datasource.url=" + this.env.jdbcUrl(), "vault.database.role=" + role,
					"vault.lease.min-drain-budget=30s")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				await().atMost(Duration.ofSeconds(10))
					.untilAsserted(() -> assertThat(output.getAll()).contains("has max_ttl 20s")
						.contains("spring.datasource.hikari.max-lifetime"));
			});
		assertThat(output.getAll()).contains("not longer than the drain budget")
			.contains("keeps connections up to 1800s (spring.datasource.hikari.max-lifetime), longer than role");
	}

	@Test
	void aTokenThatMayNotRenewOrRevokeIsOneWarnEach(CapturedOutput output) {
		String role = role("1m", "5m");
		String policy = VaultTestEnvironment.uniqueName("mis-creds-only");
		// Without Vault's default policy, which lets every token renew leases.
		this.env.createPolicy(policy,
				"path \"" + this.env.mount() + "/creds/" + role + "\" { capabilities = [\"read\"] }\n"
						+ "path \"auth/token/lookup-self\" { capabilities = [\"read\"] }\n"
						+ "path \"sys/capabilities-self\" { capabilities = [\"update\"] }\n");
		this.cleanups.add(() -> this.env.deletePolicy(policy));
		String token = (String) this.env
			.expectSuccess(this.env.vault("POST", "auth/token/create",
					Map.of("policies", List.of(policy), "ttl", "10m", "no_default_policy", true)), "token")
			.auth()
			.get("client_token");
		this.cleanups.add(() -> this.env.vault("POST", "auth/token/revoke", Map.of("token", token)));
		this.runner
			.withPropertyValues("spring.datasource.url=" + this.env.jdbcUrl(), "vault.database.role=" + role,
					"vault.token=" + token, "vault.lease.revoke-on-shutdown=false")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				await().atMost(Duration.ofSeconds(10))
					.untilAsserted(() -> assertThat(output.getAll()).contains("may not update on sys/leases/renew")
						.contains("may not update on sys/leases/revoke"));
			});
		assertThat(output.getAll()).doesNotContain(token);
		// The lease was left to expire, as told; remove its user now.
		this.env.vault("PUT", "sys/leases/revoke-prefix/" + this.env.mount() + "/creds/" + role, Map.of());
	}

}
