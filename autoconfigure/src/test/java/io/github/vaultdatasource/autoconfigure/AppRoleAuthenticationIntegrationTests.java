package io.github.vaultdatasource.autoconfigure;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests for {@link VaultDataSourceAutoConfiguration} logging in to the real OpenBao
 * with AppRole ({@code vault.authentication=approle}).
 */
class AppRoleAuthenticationIntegrationTests {

	private final VaultTestEnvironment environment = VaultTestEnvironment.get();

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(DataSourceAutoConfiguration.class, VaultDataSourceAutoConfiguration.class))
		.withPropertyValues("spring.datasource.url=" + this.environment.jdbcUrl(),
				"vault.uri=" + this.environment.vaultAddress(), "vault.authentication=approle");

	private String role;

	private String policy;

	private String authPath;

	private String roleId;

	private String secretId;

	@BeforeEach
	void setUpAppRole() {
		this.role = VaultTestEnvironment.uniqueName("it-approle");
		this.policy = this.role;
		this.authPath = VaultTestEnvironment.uniqueName("approle");
		this.environment.createRole(this.role, "1m", "5m");
		this.environment.createPolicy(this.policy, """
				path "%s/creds/%s" { capabilities = ["read"] }
				path "sys/leases/*" { capabilities = ["update"] }
				""".formatted(this.environment.mount(), this.role));
		this.environment.enableAuth(this.authPath, "approle");
		this.environment.expectSuccess(this.environment.vault("POST", "auth/" + this.authPath + "/role/" + this.role,
				Map.of("token_policies", List.of(this.policy), "token_ttl", "10m", "token_max_ttl", "30m")),
				"AppRole role " + this.role);
		this.roleId = (String) this.environment
			.expectSuccess(this.environment.vault("GET", "auth/" + this.authPath + "/role/" + this.role + "/role-id",
					null), "role id")
			.data()
			.get("role_id");
		this.secretId = (String) this.environment
			.expectSuccess(this.environment.vault("POST",
					"auth/" + this.authPath + "/role/" + this.role + "/secret-id", Map.of()), "secret id")
			.data()
			.get("secret_id");
	}

	@AfterEach
	void tearDownAppRole() {
		this.environment.disableAuth(this.authPath);
		this.environment.deletePolicy(this.policy);
		this.environment.deleteRole(this.role);
	}

	@Test
	void dataSourceConnectsWithCredentialsIssuedAfterAppRoleLogin() {
		AtomicReference<String> leaseId = new AtomicReference<>();
		AtomicReference<String> username = new AtomicReference<>();
		this.contextRunner
			.withPropertyValues("vault.database.role=" + this.role, "vault.app-role.path=" + this.authPath,
					"vault.app-role.role-id=" + this.roleId, "vault.app-role.secret-id=" + this.secretId)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				String currentUser = VaultDataSourceIntegrationTests.currentUser(context.getBean(DataSource.class));
				// The username starts with the token's display name, which OpenBao derives from
				// the auth mount path (truncated to 8 characters): "v-approle-…", not "v-token-…".
				assertThat(currentUser).startsWith("v-approle");
				CredentialLease lease = context.getBean(ManagedLeases.class).all().get(0).currentLease();
				assertThat(lease).isNotNull();
				assertThat(lease.username()).isEqualTo(currentUser);
				leaseId.set(lease.leaseId());
				username.set(currentUser);
			});
		assertThat(this.environment.databaseRoles("v-")).doesNotContain(username.get());
		assertThat(this.environment.leaseKnown(leaseId.get())).isFalse();
	}

}
