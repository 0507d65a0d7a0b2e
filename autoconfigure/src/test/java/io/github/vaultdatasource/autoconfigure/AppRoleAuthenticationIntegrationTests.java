package io.github.vaultdatasource.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.lease.LeaseStatus;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.testsupport.FaultFigures;
import io.github.vaultdatasource.testsupport.QueryLoad;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Integration tests for {@link VaultDataSourceAutoConfiguration} logging in to the real OpenBao
 * with AppRole ({@code vault.authentication=approle}): the login, a login token revoked from
 * outside (Vault revokes the token's leases with it), and shutdown with
 * {@code vault.lease.revoke-on-shutdown=false}.
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

	@Test
	void aLoginTokenRevokedFromOutsideLeadsToANewLoginAndNewCredentials() {
		int threads = 8;
		AtomicReference<String> username = new AtomicReference<>();
		this.contextRunner
			.withPropertyValues("vault.database.role=" + this.role, "vault.app-role.path=" + this.authPath,
					"vault.app-role.role-id=" + this.roleId, "vault.app-role.secret-id=" + this.secretId,
					"spring.datasource.hikari.maximum-pool-size=" + threads)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				LeaseLifecycle lifecycle = context.getBean(ManagedLeases.class).all().get(0);
				QueryLoad load = QueryLoad.start(context.getBean(DataSource.class), threads);
				Thread.sleep(2000);
				CredentialLease revoked = lifecycle.currentLease();
				String before = revoked.username();
				// The check for users left after shutdown finds a live one: it can fail.
				assertThat(this.environment.issuedUsers(this.role)).contains(before);
				// Every token this AppRole mount issued: the app's login token, and with it its lease.
				long revokedAt = System.nanoTime();
				assertThat(this.environment
					.vault("PUT", "sys/leases/revoke-prefix/auth/" + this.authPath + "/login", Map.of("sync", true))
					.status()).isEqualTo(204);
				// The lease issued under that token goes with it (asked of the lease taken before the revoke:
				// the library may already be on a new one by now). Vault revokes a token's leases in the
				// background even for a sync revoke of the token, so wait for it.
				await().atMost(Duration.ofSeconds(30)).until(() -> !this.environment.leaseKnown(revoked.leaseId()));
				await().atMost(Duration.ofSeconds(30))
					.until(() -> !before.equals(lifecycle.currentLease().username())
							&& lifecycle.status().state() == LeaseStatus.State.ACTIVE);
				Thread.sleep(2000);
				FaultFigures figures = FaultFigures.of("AppRole login token revoked from outside", load.stop(),
						revokedAt, before)
					.report(0, 0);
				assertThat(figures.failed()).as("failed queries %s", figures.failures()).isLessThanOrEqualTo(threads);
				assertThat(figures.firstNewUserMillis()).isPositive();
				username.set(lifecycle.currentLease().username());
				assertThat(username.get()).startsWith("v-approle");
			});
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(this.environment.issuedUsers(this.role)).isEmpty());
	}

	@Test
	void leavesTheLoginTokenAndItsLeaseAloneWhenRevokeOnShutdownIsOff() {
		AtomicReference<String> leaseId = new AtomicReference<>();
		AtomicReference<String> username = new AtomicReference<>();
		this.contextRunner
			.withPropertyValues("vault.database.role=" + this.role, "vault.app-role.path=" + this.authPath,
					"vault.app-role.role-id=" + this.roleId, "vault.app-role.secret-id=" + this.secretId,
					"vault.lease.revoke-on-shutdown=false")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				CredentialLease lease = context.getBean(ManagedLeases.class).all().get(0).currentLease();
				leaseId.set(lease.leaseId());
				username.set(lease.username());
			});
		try {
			// Revoking the login token at shutdown would have revoked this lease with it.
			assertThat(this.environment.leaseKnown(leaseId.get())).isTrue();
			assertThat(this.environment.issuedUsers(this.role)).containsExactly(username.get());
		}
		finally {
			this.environment.expectSuccess(
					this.environment.vault("PUT", "sys/leases/revoke", Map.of("lease_id", leaseId.get(), "sync", true)),
					"revoke the lease left behind");
		}
		assertThat(this.environment.issuedUsers(this.role)).isEmpty();
	}

}
