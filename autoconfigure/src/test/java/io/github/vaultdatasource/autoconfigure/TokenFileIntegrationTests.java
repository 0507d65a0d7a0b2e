package io.github.vaultdatasource.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.sql.DataSource;

import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.RotationReason;
import io.github.vaultdatasource.event.CredentialsRotatedEvent;
import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import io.github.vaultdatasource.vault.VaultTokenManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationListener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Integration tests for a token read from a file that an agent keeps current
 * ({@code vault.token-file}, a Vault Agent / OpenBao Agent sink), against the real OpenBao: when
 * the agent writes a new token, the application switches to it and rotates its credentials, so
 * nothing it uses dies with the old token.
 */
class TokenFileIntegrationTests {

	private final VaultTestEnvironment environment = VaultTestEnvironment.get();

	private final List<CredentialsRotatedEvent> rotations = new CopyOnWriteArrayList<>();

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(DataSourceAutoConfiguration.class, VaultDataSourceAutoConfiguration.class))
		.withBean("rotationRecorder", ApplicationListener.class,
				() -> (ApplicationListener<CredentialsRotatedEvent>) this.rotations::add)
		// vault.token empty: a VAULT_TOKEN in the environment would bind to it, and both together are refused.
		.withPropertyValues("spring.datasource.url=" + this.environment.jdbcUrl(),
				"vault.uri=" + this.environment.vaultAddress(), "vault.token=");

	@TempDir
	Path temp;

	private String role;

	@BeforeEach
	void setUpRoleAndPolicy() {
		this.role = VaultTestEnvironment.uniqueName("it-sink");
		this.environment.createRole(this.role, "6s", "5m");
		this.environment.createPolicy(this.role, """
				path "%s/creds/%s" { capabilities = ["read"] }
				path "sys/leases/*" { capabilities = ["update"] }
				""".formatted(this.environment.mount(), this.role));
	}

	@AfterEach
	void tearDown() {
		this.environment.deletePolicy(this.role);
		this.environment.deleteRole(this.role);
	}

	@Test
	void followsTheTokenTheAgentWritesAndRotatesOffTheOldOne() throws Exception {
		String first = createToken();
		Path sink = this.temp.resolve("vault-token");
		writeSink(sink, first);
		this.contextRunner.withPropertyValues("vault.token-file=" + sink, "vault.database.role=" + this.role)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(VaultTokenManager.class).canLogIn()).isTrue();
				DataSource dataSource = context.getBean(DataSource.class);
				String userBefore = VaultDataSourceIntegrationTests.currentUser(dataSource);

				String second = createToken();
				writeSink(sink, second);
				CredentialsRotatedEvent rotated = awaitRotation(Duration.ofSeconds(30));
				assertThat(rotated.getReason()).isEqualTo(RotationReason.TOKEN_RELOGIN);
				assertThat(rotated.getPreviousUsername()).isEqualTo(userBefore);

				// The agent's old token goes, and every lease created with it: not ours any more.
				this.environment.expectSuccess(
						this.environment.vault("POST", "auth/token/revoke", Map.of("token", first)), "revoke");
				CredentialLease current = context.getBean(ManagedLeases.class).all().get(0).currentLease();
				assertThat(current).isNotNull();
				assertThat(this.environment.leaseKnown(current.leaseId())).isTrue();
				assertThat(VaultDataSourceIntegrationTests.currentUser(dataSource)).isEqualTo(rotated.getUsername());
			});
	}

	@Test
	void sameTokenRewrittenDoesNotRotate() throws Exception {
		String token = createToken();
		Path sink = this.temp.resolve("vault-token");
		writeSink(sink, token);
		this.contextRunner.withPropertyValues("vault.token-file=" + sink, "vault.database.role=" + this.role)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				writeSink(sink, token);
				// Renewals every ~3 s would notice a change: give them three chances.
				LeaseLifecycle lease = context.getBean(ManagedLeases.class).all().get(0);
				await("three renewals").atMost(Duration.ofSeconds(30))
					.until(() -> lease.status().counts().renewals() >= 3);
				assertThat(this.rotations).isEmpty();
			});
	}

	private String createToken() {
		return (String) this.environment
			.expectSuccess(this.environment.vault("POST", "auth/token/create",
					Map.of("policies", List.of(this.role), "ttl", "10m", "no_parent", true)), "token")
			.auth()
			.get("client_token");
	}

	// As an agent does: a new file moved over the old one, with a new modification time.
	private static void writeSink(Path sink, String token) throws Exception {
		Path next = sink.resolveSibling(sink.getFileName() + ".tmp");
		Files.writeString(next, token + "\n");
		Files.setLastModifiedTime(next, java.nio.file.attribute.FileTime.from(Instant.now().plusSeconds(1)));
		Files.move(next, sink, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
	}

	private CredentialsRotatedEvent awaitRotation(Duration timeout) {
		await("a rotation").atMost(timeout).pollInterval(Duration.ofMillis(100)).until(() -> !this.rotations.isEmpty());
		return this.rotations.get(0);
	}

}
