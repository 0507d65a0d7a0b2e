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
import io.github.vaultdatasource.testsupport.AuthMethodFixture;
import io.github.vaultdatasource.testsupport.FaultFigures;
import io.github.vaultdatasource.testsupport.QueryLoad;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.AutoClose;
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

	@AutoClose
	private AuthMethodFixture appRole;

	private String roleId;

	private String secretId;

	@BeforeEach
	void setUpAppRole() {
		this.appRole = AuthMethodFixture.mount(this.environment, "it-approle", "approle");
		String role = "role/" + this.appRole.role();
		this.appRole.write(role,
				Map.of("token_policies", List.of(this.appRole.role()), "token_ttl", "10m", "token_max_ttl", "30m"));
		this.roleId = (String) this.appRole.read(role + "/role-id").get("role_id");
		this.secretId = (String) this.appRole.write(role + "/secret-id", Map.of()).get("secret_id");
	}

	@Test
	void dataSourceConnectsWithCredentialsIssuedAfterAppRoleLogin() {
		// The display name OpenBao derives from the auth mount path is truncated to 8 characters:
		// "v-approle-…", not "v-token-…".
		this.appRole.assertServesAsAnIssuedUserAndRevokesItOnShutdown(this.contextRunner.withPropertyValues(login()),
				"v-approle");
	}

	@Test
	void aLoginTokenRevokedFromOutsideLeadsToANewLoginAndNewCredentials() {
		int threads = 8;
		AtomicReference<String> username = new AtomicReference<>();
		this.contextRunner
			.withPropertyValues(login())
			.withPropertyValues("spring.datasource.hikari.maximum-pool-size=" + threads)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				LeaseLifecycle lifecycle = context.getBean(ManagedLeases.class).all().get(0);
				QueryLoad load = QueryLoad.start(context.getBean(DataSource.class), threads);
				// Not a wait: the load runs 2 s before the fault, as in the other fault figures.
				Thread.sleep(2000);
				CredentialLease revoked = lifecycle.currentLease();
				String before = revoked.username();
				// The check for users left after shutdown finds a live one: it can fail.
				assertThat(this.environment.issuedUsers(this.appRole.role())).contains(before);
				// Every token this AppRole mount issued: the app's login token, and with it its lease.
				long revokedAt = System.nanoTime();
				assertThat(this.environment
					.vault("PUT", "sys/leases/revoke-prefix/auth/" + this.appRole.path() + "/login", Map.of("sync", true))
					.status()).isEqualTo(204);
				// The lease issued under that token goes with it (asked of the lease taken before the revoke:
				// the library may already be on a new one by now). Vault revokes a token's leases in the
				// background even for a sync revoke of the token, so wait for it.
				await().atMost(Duration.ofSeconds(30)).until(() -> !this.environment.leaseKnown(revoked.leaseId()));
				await().atMost(Duration.ofSeconds(30))
					.until(() -> !before.equals(lifecycle.currentLease().username())
							&& lifecycle.status().state() == LeaseStatus.State.ACTIVE);
				String after = lifecycle.currentLease().username();
				await().atMost(Duration.ofSeconds(30)).until(() -> load.users().contains(after));
				FaultFigures figures = FaultFigures.of("AppRole login token revoked from outside", load.stop(),
						revokedAt, before)
					.report(0, 0);
				assertThat(figures.failed()).as("failed queries %s", figures.failures()).isLessThanOrEqualTo(threads);
				assertThat(figures.firstNewUserMillis()).isPositive();
				username.set(lifecycle.currentLease().username());
				assertThat(username.get()).startsWith("v-approle");
			});
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(this.environment.issuedUsers(this.appRole.role())).isEmpty());
	}

	@Test
	void leavesTheLoginTokenAndItsLeaseAloneWhenRevokeOnShutdownIsOff() {
		AtomicReference<String> leaseId = new AtomicReference<>();
		AtomicReference<String> username = new AtomicReference<>();
		this.contextRunner
			.withPropertyValues(login())
			.withPropertyValues("vault.lease.revoke-on-shutdown=false")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				CredentialLease lease = context.getBean(ManagedLeases.class).all().get(0).currentLease();
				leaseId.set(lease.leaseId());
				username.set(lease.username());
			});
		try {
			// Revoking the login token at shutdown would have revoked this lease with it.
			assertThat(this.environment.leaseKnown(leaseId.get())).isTrue();
			assertThat(this.environment.issuedUsers(this.appRole.role())).containsExactly(username.get());
		}
		finally {
			this.environment.expectSuccess(
					this.environment.vault("PUT", "sys/leases/revoke", Map.of("lease_id", leaseId.get(), "sync", true)),
					"revoke the lease left behind");
		}
		assertThat(this.environment.issuedUsers(this.appRole.role())).isEmpty();
	}

	private String[] login() {
		return new String[] { "vault.database.role=" + this.appRole.role(), "vault.app-role.path=" + this.appRole.path(),
				"vault.app-role.role-id=" + this.roleId, "vault.app-role.secret-id=" + this.secretId };
	}

}
