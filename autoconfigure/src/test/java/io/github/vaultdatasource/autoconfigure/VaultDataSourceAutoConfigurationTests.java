package io.github.vaultdatasource.autoconfigure;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariDataSource;
import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.DatabaseCredentials;
import io.github.vaultdatasource.event.CredentialsIssuedEvent;
import io.github.vaultdatasource.lease.LeaseStatus;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.vault.DatabaseSecretsClient;
import io.github.vaultdatasource.vault.VaultDatabaseSecretsClient;
import io.github.vaultdatasource.vault.VaultTokenManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationListener;
import org.springframework.vault.core.VaultTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link VaultDataSourceAutoConfiguration}. Vault is a local HTTP server that counts the
 * requests it gets: none is expected, since creating the beans must not contact Vault.
 */
class VaultDataSourceAutoConfigurationTests {

	private static final String TOKEN = "hvs.TopSecretTokenValue42";

	private static final String SECRET_ID = "secret-id-Xk29fQ";

	// No database runs here: the first credentials are not checked with a connection.
	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VaultDataSourceAutoConfiguration.class))
		.withPropertyValues("vault.database.validate-on-startup=false");

	private HttpServer vault;

	private final AtomicInteger vaultRequests = new AtomicInteger();

	@BeforeEach
	void startVault() throws IOException {
		this.vault = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		this.vault.createContext("/", (exchange) -> {
			this.vaultRequests.incrementAndGet();
			exchange.sendResponseHeaders(503, -1);
			exchange.close();
		});
		this.vault.start();
	}

	@AfterEach
	void stopVault() {
		this.vault.stop(0);
	}

	@Test
	void backsOffWhenDisabled() {
		this.contextRunner.withPropertyValues("vault.enabled=false", "vault.database.role=app", "vault.token=" + TOKEN)
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(VaultDataSourceRegistrar.class)
				.doesNotHaveBean(VaultTokenManager.class)
				.doesNotHaveBean(DatabaseSecretsClient.class)
				.doesNotHaveBean(ManagedLeases.class));
	}

	@Test
	void createsBeansWithoutContactingVault() {
		this.contextRunner.withPropertyValues(vaultUri(), "vault.database.role=app", "vault.token=" + TOKEN)
			.run((context) -> {
				assertThat(context).hasNotFailed()
					.hasSingleBean(VaultTokenManager.class)
					.hasSingleBean(VaultDatabaseSecretsClient.class)
					.hasSingleBean(ManagedLeases.class)
					.hasSingleBean(VaultDataSourceRegistrar.class);
				assertThat(context.getBean(VaultDatabaseSecretsClient.class).credentialsPath())
					.isEqualTo("database/creds/app");
				assertThat(context.getBean(VaultTokenManager.class).canLogIn()).isFalse();
			});
		assertThat(this.vaultRequests).hasValue(0);
	}

	@Test
	void usesConfiguredMountForCredentialsPath() {
		this.contextRunner
			.withPropertyValues(vaultUri(), "vault.database.role=app", "vault.database.mount=/postgres/",
					"vault.token=" + TOKEN)
			.run((context) -> assertThat(context.getBean(VaultDatabaseSecretsClient.class).credentialsPath())
				.isEqualTo("postgres/creds/app"));
	}

	@Test
	void doesNotPublishTaskScheduler() {
		this.contextRunner.withPropertyValues(vaultUri(), "vault.database.role=app", "vault.token=" + TOKEN)
			.run((context) -> assertThat(context)
				.doesNotHaveBean(org.springframework.scheduling.TaskScheduler.class)
				.doesNotHaveBean(java.util.concurrent.ScheduledExecutorService.class));
	}

	@Test
	void appRoleCreatesBeansWithoutContactingVault() {
		this.contextRunner
			.withPropertyValues(vaultUri(), "vault.database.role=app", "vault.authentication=approle",
					"vault.app-role.role-id=role-1", "vault.app-role.secret-id=" + SECRET_ID)
			.run((context) -> {
				assertThat(context).hasNotFailed().hasSingleBean(VaultDataSourceRegistrar.class);
				assertThat(context.getBean(VaultTokenManager.class).canLogIn()).isTrue();
			});
		assertThat(this.vaultRequests).hasValue(0);
	}

	@Test
	void kubernetesWithReadableTokenFileCreatesBeansWithoutContactingVault(@TempDir Path directory)
			throws IOException {
		Path tokenFile = Files.writeString(directory.resolve("token"), "eyJhbGciOiJSUzI1NiJ9.e30.c2ln");
		this.contextRunner
			.withPropertyValues(vaultUri(), "vault.database.role=app", "vault.authentication=kubernetes",
					"vault.kubernetes.role=my-app", "vault.kubernetes.service-account-token-file=" + tokenFile)
			.run((context) -> assertThat(context).hasNotFailed().hasSingleBean(VaultDataSourceRegistrar.class));
		assertThat(this.vaultRequests).hasValue(0);
	}

	@Test
	void missingRoleFailsStartupNamingProperty() {
		this.contextRunner.withPropertyValues(vaultUri(), "vault.token=" + TOKEN).run((context) -> {
			VaultDataSourceException failure = vaultFailure(context);
			assertThat(failure.getDescription()).contains("vault.database.role");
			assertThat(failure.getAction()).startsWith("Consider the following").contains("vault.database.role");
		});
	}

	@Test
	void tokenAuthenticationWithoutTokenFailsStartupNamingProperty() {
		// An empty value, so a VAULT_TOKEN in the environment (bound to vault.token) cannot hide the failure.
		this.contextRunner.withPropertyValues(vaultUri(), "vault.database.role=app", "vault.token=")
			.run((context) -> assertThat(vaultFailure(context).getDescription()).contains("vault.token"));
	}

	@Test
	void appRoleWithoutSecretIdFailsStartupNamingProperty() {
		this.contextRunner
			.withPropertyValues(vaultUri(), "vault.database.role=app", "vault.authentication=approle",
					"vault.app-role.role-id=role-1", "vault.token=" + TOKEN)
			.run((context) -> assertThat(vaultFailure(context).getDescription())
				.contains("vault.app-role.secret-id"));
	}

	@Test
	void appRoleWithoutRoleIdFailsStartupNamingPropertyWithoutShowingSecretId() {
		this.contextRunner
			.withPropertyValues(vaultUri(), "vault.database.role=app", "vault.authentication=approle",
					"vault.app-role.secret-id=" + SECRET_ID, "vault.token=" + TOKEN)
			.run((context) -> {
				VaultDataSourceException failure = vaultFailure(context);
				assertThat(failure.getDescription()).contains("vault.app-role.role-id");
				assertThat(messages(context.getStartupFailure())).doesNotContain(SECRET_ID);
			});
	}

	@Test
	void kubernetesWithoutRoleFailsStartupNamingProperty() {
		this.contextRunner
			.withPropertyValues(vaultUri(), "vault.database.role=app", "vault.authentication=kubernetes",
					"vault.token=" + TOKEN)
			.run((context) -> assertThat(vaultFailure(context).getDescription()).contains("vault.kubernetes.role"));
	}

	@Test
	void kubernetesWithMissingTokenFileFailsStartupNamingProperty(@TempDir Path directory) {
		Path missing = directory.resolve("no-such-token");
		this.contextRunner
			.withPropertyValues(vaultUri(), "vault.database.role=app", "vault.authentication=kubernetes",
					"vault.kubernetes.role=my-app", "vault.kubernetes.service-account-token-file=" + missing,
					"vault.token=" + TOKEN)
			.run((context) -> {
				VaultDataSourceException failure = vaultFailure(context);
				assertThat(failure.getDescription()).contains("vault.kubernetes.service-account-token-file")
					.contains(missing.toString());
				assertThat(failure.getAction()).startsWith("Consider the following");
			});
	}

	@Test
	void invalidVaultUriFailsStartupNamingProperty() {
		this.contextRunner
			.withPropertyValues("vault.uri=vault.example.com", "vault.database.role=app", "vault.token=" + TOKEN)
			.run((context) -> {
				VaultDataSourceException failure = vaultFailure(context);
				assertThat(failure.getDescription()).contains("vault.uri=vault.example.com");
				assertThat(failure.getAction()).contains("vault.uri=https://");
			});
	}

	@Test
	void userDefinedSecretsClientReplacesOurs() {
		RecordingSecretsClient client = new RecordingSecretsClient();
		this.contextRunner.withPropertyValues(vaultUri(), "vault.database.role=app", "vault.token=" + TOKEN)
			.withBean(DatabaseSecretsClient.class, () -> client)
			.run((context) -> {
				assertThat(context).hasNotFailed()
					.doesNotHaveBean(VaultDatabaseSecretsClient.class)
					.hasSingleBean(VaultDataSourceRegistrar.class);
				assertThat(context.getBean(DatabaseSecretsClient.class)).isSameAs(client);
			});
	}

	@Test
	void hikariPoolGetsCredentialsFromVaultAndLeaseIsRevokedOnShutdown() {
		RecordingSecretsClient client = new RecordingSecretsClient();
		IssuedEvents issued = new IssuedEvents();
		this.contextRunner.withPropertyValues(vaultUri(), "vault.database.role=app", "vault.token=" + TOKEN)
			.withBean(DatabaseSecretsClient.class, () -> client)
			.withBean(IssuedEvents.class, () -> issued)
			.withBean("dataSource", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::pool)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				HikariDataSource pool = context.getBean(HikariDataSource.class);
				assertThat(pool.getCredentialsProvider().getCredentials().getUsername()).isEqualTo("v-1");
				assertThat(pool.getCredentialsProvider().getCredentials().getPassword())
					.isEqualTo(RecordingSecretsClient.PASSWORD);
				LeaseStatus status = context.getBean(ManagedLeases.class).get("dataSource").orElseThrow().status();
				assertThat(status.state()).isEqualTo(LeaseStatus.State.ACTIVE);
				assertThat(status.username()).isEqualTo("v-1");
				assertThat(status.role()).isEqualTo("app");
				assertThat(client.revoked).isEmpty();
				assertThat(issued.events).singleElement().satisfies((event) -> {
					assertThat(event.getDataSourceName()).isEqualTo("dataSource");
					assertThat(event.getUsername()).isEqualTo("v-1");
				});
			});
		assertThat(client.issued).hasValue(1);
		assertThat(client.revoked).containsExactly("v-1");
		assertThat(this.vaultRequests).hasValue(0);
	}

	@Test
	void revokeOnShutdownCanBeTurnedOff() {
		RecordingSecretsClient client = new RecordingSecretsClient();
		this.contextRunner
			.withPropertyValues(vaultUri(), "vault.database.role=app", "vault.token=" + TOKEN,
					"vault.lease.revoke-on-shutdown=false")
			.withBean(DatabaseSecretsClient.class, () -> client)
			.withBean("dataSource", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::pool)
			.run((context) -> assertThat(context).hasNotFailed());
		assertThat(client.issued).hasValue(1);
		assertThat(client.revoked).isEmpty();
	}

	@Test
	void poolWithoutUrlFailsStartupNamingSpringDatasourceUrl() {
		this.contextRunner.withPropertyValues(vaultUri(), "vault.database.role=app", "vault.token=" + TOKEN)
			.withBean(DatabaseSecretsClient.class, RecordingSecretsClient::new)
			.withBean("dataSource", HikariDataSource.class, HikariDataSource::new)
			.run((context) -> assertThat(vaultFailure(context).getDescription()).contains("spring.datasource.url"));
	}

	@Test
	void urlWithPasswordFailsStartupWithoutShowingIt() {
		this.contextRunner.withPropertyValues(vaultUri(), "vault.database.role=app", "vault.token=" + TOKEN)
			.withBean(DatabaseSecretsClient.class, RecordingSecretsClient::new)
			.withBean("dataSource", HikariDataSource.class, () -> {
				HikariDataSource pool = new HikariDataSource();
				pool.setJdbcUrl("jdbc:postgresql://localhost:5432/app?user=app&password=Hunter2Static");
				return pool;
			})
			.run((context) -> {
				VaultDataSourceException failure = vaultFailure(context);
				assertThat(failure.getDescription()).contains("spring.datasource.url");
				assertThat(messages(context.getStartupFailure())).doesNotContain("Hunter2Static");
			});
	}

	@Test
	void invalidLeaseSettingsFailStartupNamingProperties() {
		this.contextRunner
			.withPropertyValues(vaultUri(), "vault.database.role=app", "vault.token=" + TOKEN,
					"vault.lease.renew-at=1.5")
			.withBean(DatabaseSecretsClient.class, RecordingSecretsClient::new)
			.withBean("dataSource", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::pool)
			.run((context) -> {
				VaultDataSourceException failure = vaultFailure(context);
				assertThat(failure.getDescription()).contains("vault.lease").contains("1.5");
				assertThat(failure.getAction()).contains("vault.lease.renew-at");
			});
	}

	@Test
	void backsOffWithoutHikari() {
		this.contextRunner.withPropertyValues(vaultUri(), "vault.database.role=app", "vault.token=" + TOKEN)
			.withClassLoader(new FilteredClassLoader(HikariDataSource.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(VaultDataSourceRegistrar.class)
				.doesNotHaveBean(VaultTokenManager.class));
	}

	@Test
	void backsOffWithoutSpringVault() {
		this.contextRunner.withPropertyValues(vaultUri(), "vault.database.role=app", "vault.token=" + TOKEN)
			.withClassLoader(new FilteredClassLoader(VaultTemplate.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(VaultDataSourceRegistrar.class)
				.doesNotHaveBean(VaultTokenManager.class));
	}

	private String vaultUri() {
		return "vault.uri=http://127.0.0.1:" + this.vault.getAddress().getPort();
	}

	private static HikariDataSource pool() {
		HikariDataSource pool = new HikariDataSource();
		pool.setJdbcUrl("jdbc:postgresql://db.example.com:5432/app");
		return pool;
	}

	/**
	 * Assert that startup failed with a {@link VaultDataSourceException} that, like everything
	 * the failure report shows, never contains the configured token.
	 */
	private static VaultDataSourceException vaultFailure(AssertableApplicationContext context) {
		assertThat(context).hasFailed();
		Throwable failure = context.getStartupFailure();
		VaultDataSourceException found = null;
		for (Throwable candidate = failure; candidate != null; candidate = candidate.getCause()) {
			if (candidate instanceof VaultDataSourceException vaultFailure) {
				found = vaultFailure;
				break;
			}
		}
		assertThat(found).as("VaultDataSourceException in the causes of %s", failure).isNotNull();
		assertThat(messages(failure)).doesNotContain(TOKEN);
		FailureAnalysis analysis = new VaultDataSourceFailureAnalyzer().analyze(failure);
		assertThat(analysis).isNotNull();
		assertThat(analysis.getDescription()).isEqualTo(found.getDescription()).doesNotContain(TOKEN);
		assertThat(analysis.getAction()).isEqualTo(found.getAction()).doesNotContain(TOKEN);
		return found;
	}

	private static String messages(Throwable failure) {
		StringBuilder messages = new StringBuilder();
		for (Throwable candidate = failure; candidate != null; candidate = candidate.getCause()) {
			messages.append(candidate).append('\n');
		}
		return messages.toString();
	}

	static final class IssuedEvents implements ApplicationListener<CredentialsIssuedEvent> {

		final List<CredentialsIssuedEvent> events = new CopyOnWriteArrayList<>();

		@Override
		public void onApplicationEvent(CredentialsIssuedEvent event) {
			this.events.add(event);
		}

	}

	static final class RecordingSecretsClient implements DatabaseSecretsClient {

		static final String PASSWORD = "pw-From-Vault-7Qx";

		final AtomicInteger issued = new AtomicInteger();

		final List<String> revoked = new CopyOnWriteArrayList<>();

		@Override
		public String credentialsPath() {
			return "database/creds/app";
		}

		@Override
		public CredentialLease issue() {
			int number = this.issued.incrementAndGet();
			return CredentialLease.issued(new DatabaseCredentials("v-" + number, PASSWORD),
					"database/creds/app/AbCdEfGh000" + number, true, Instant.now(), Duration.ofHours(1));
		}

		@Override
		public LeaseRenewal renew(CredentialLease lease, Duration increment) {
			return new LeaseRenewal(increment, true, false);
		}

		@Override
		public void revoke(CredentialLease lease) {
			this.revoked.add(lease.username());
		}

	}

}
