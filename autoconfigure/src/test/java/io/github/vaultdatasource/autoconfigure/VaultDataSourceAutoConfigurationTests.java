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

import javax.sql.DataSource;

import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.DatabaseCredentials;
import io.github.vaultdatasource.event.CredentialsIssuedEvent;
import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.lease.LeaseStatus;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.vault.DatabaseSecretsClient;
import io.github.vaultdatasource.vault.VaultDatabaseSecretsClient;
import io.github.vaultdatasource.vault.VaultTokenManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationListener;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.vault.core.VaultTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link VaultDataSourceAutoConfiguration}. Vault is a local HTTP server that counts the
 * requests it gets: none is expected, since creating the beans must not contact Vault.
 */
@ExtendWith(OutputCaptureExtension.class)
class VaultDataSourceAutoConfigurationTests {

	private static final String TOKEN = "hvs.TopSecretTokenValue42";

	private static final String SECRET_ID = "secret-id-Xk29fQ";

	private static final String LEGACY_PASSWORD = "Legacy-Pw-8Hq";

	// No database runs here: the first credentials are not checked with a connection.
	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VaultDataSourceAutoConfiguration.class))
		.withPropertyValues("vault.database.validate-on-startup=false");

	private HttpServer vault;

	private final AtomicInteger vaultRequests = new AtomicInteger();

	private final List<String> vaultPaths = new CopyOnWriteArrayList<>();

	@BeforeEach
	void startVault() throws IOException {
		this.vault = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		this.vault.createContext("/", (exchange) -> {
			this.vaultRequests.incrementAndGet();
			this.vaultPaths.add(exchange.getRequestURI().getPath());
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

	@Test
	void ofTwoPoolsOnlyTheNamedOneIsManagedAndTheOtherKeepsItsCredentials() {
		RecordingSecretsClient client = new RecordingSecretsClient();
		this.contextRunner.withPropertyValues(vaultUri(), "vault.token=" + TOKEN, "vault.datasources.reports.role=reporting")
			.withBean(DatabaseSecretsClient.class, () -> client)
			.withBean("reports", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::pool)
			.withBean("legacy", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::fixedCredentialsPool)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				HikariDataSource reports = context.getBean("reports", HikariDataSource.class);
				assertThat(reports.getCredentialsProvider().getCredentials().getUsername()).isEqualTo("v-reporting-1");
				HikariDataSource legacy = context.getBean("legacy", HikariDataSource.class);
				assertThat(legacy.getUsername()).isEqualTo("legacy_user");
				assertThat(legacy.getPassword()).isEqualTo(LEGACY_PASSWORD);
				assertThat(legacy.getCredentialsProvider()).isNull();
				assertThat(legacy.getDataSource()).isNull();
				ManagedLeases leases = context.getBean(ManagedLeases.class);
				assertThat(leases.all()).extracting(LeaseLifecycle::name).containsExactly("reports");
				assertThat(leases.get("reports").orElseThrow().status().role()).isEqualTo("reporting");
				assertThat(client.roles).containsExactly("database/reporting/false");
			});
		assertThat(client.revoked).containsExactly("v-reporting-1");
		assertThat(this.vaultRequests).hasValue(0);
	}

	@Test
	void bootsOwnDataSourceTakesTheShortFormAndANamedPoolItsOwnRole() {
		RecordingSecretsClient client = new RecordingSecretsClient();
		this.contextRunner
			.withPropertyValues(vaultUri(), "vault.token=" + TOKEN, "vault.database.role=app",
					"vault.datasources.reports.role=reporting", "vault.datasources.reports.mount=warehouse",
					"vault.datasources.reports.static-role=true")
			.withBean(DatabaseSecretsClient.class, () -> client)
			.withBean("dataSource", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::pool)
			.withBean("reports", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::pool)
			.withBean("legacy", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::fixedCredentialsPool)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				ManagedLeases leases = context.getBean(ManagedLeases.class);
				assertThat(leases.all()).extracting(LeaseLifecycle::name).containsExactlyInAnyOrder("dataSource",
						"reports");
				assertThat(leases.get("dataSource").orElseThrow().status().role()).isEqualTo("app");
				assertThat(leases.get("reports").orElseThrow().status().role()).isEqualTo("reporting");
				assertThat(client.roles).containsExactly("warehouse/reporting/true");
				assertThat(context.getBean("legacy", HikariDataSource.class).getUsername()).isEqualTo("legacy_user");
			});
	}

	@Test
	void nextToNamedPoolsBootsOwnDataSourceIsLeftAloneWithoutTheShortFormsRole() {
		RecordingSecretsClient client = new RecordingSecretsClient();
		this.contextRunner.withPropertyValues(vaultUri(), "vault.token=" + TOKEN, "vault.datasources.reports.role=reporting")
			.withBean(DatabaseSecretsClient.class, () -> client)
			.withBean("dataSource", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::fixedCredentialsPool)
			.withBean("reports", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::pool)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(ManagedLeases.class).all()).extracting(LeaseLifecycle::name)
					.containsExactly("reports");
				HikariDataSource own = context.getBean("dataSource", HikariDataSource.class);
				assertThat(own.getUsername()).isEqualTo("legacy_user");
				assertThat(own.getPassword()).isEqualTo(LEGACY_PASSWORD);
				assertThat(own.getCredentialsProvider()).isNull();
			});
	}

	@Test
	void springDatasourceCredentialsOfAnUnmanagedDataSourceAreNotReportedAsIgnored(CapturedOutput output) {
		this.contextRunner
			.withPropertyValues(vaultUri(), "vault.token=" + TOKEN, "vault.datasources.reports.role=reporting",
					"spring.datasource.username=legacy_user", "spring.datasource.password=" + LEGACY_PASSWORD)
			.withBean(DatabaseSecretsClient.class, RecordingSecretsClient::new)
			.withBean("dataSource", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::fixedCredentialsPool)
			.withBean("reports", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::pool)
			.run((context) -> assertThat(context).hasNotFailed());
		assertThat(output).doesNotContain("are ignored");
		this.contextRunner
			.withPropertyValues(vaultUri(), "vault.token=" + TOKEN, "vault.database.role=app",
					"spring.datasource.username=legacy_user", "spring.datasource.password=" + LEGACY_PASSWORD)
			.withBean(DatabaseSecretsClient.class, RecordingSecretsClient::new)
			.withBean("dataSource", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::pool)
			.run((context) -> assertThat(context).hasNotFailed());
		assertThat(output).contains("spring.datasource.username and spring.datasource.password are ignored")
			.doesNotContain(LEGACY_PASSWORD);
	}

	@Test
	void aSinglePoolWithAnotherBeanNameIsManagedByTheShortForm() {
		RecordingSecretsClient client = new RecordingSecretsClient();
		this.contextRunner.withPropertyValues(vaultUri(), "vault.token=" + TOKEN, "vault.database.role=app")
			.withBean(DatabaseSecretsClient.class, () -> client)
			.withBean("ordersPool", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::pool)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				LeaseLifecycle lease = context.getBean(ManagedLeases.class).get("ordersPool").orElseThrow();
				assertThat(lease.status().role()).isEqualTo("app");
				assertThat(context.getBean(HikariDataSource.class).getCredentialsProvider().getCredentials().getUsername())
					.isEqualTo("v-1");
			});
		assertThat(client.revoked).containsExactly("v-1");
	}

	@Test
	void aNamedBeanThatDoesNotExistFailsStartupListingTheDataSources() {
		this.contextRunner
			.withPropertyValues(vaultUri(), "vault.token=" + TOKEN, "vault.datasources.missing.role=x",
					"vault.datasources.reports.role=reporting")
			.withBean(DatabaseSecretsClient.class, RecordingSecretsClient::new)
			.withBean("reports", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::pool)
			.withBean("legacy", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::fixedCredentialsPool)
			.run((context) -> {
				VaultDataSourceException failure = vaultFailure(context);
				assertThat(failure.getDescription()).contains("vault.datasources.missing")
					.contains("[reports, legacy]");
				assertThat(failure.getAction()).contains("vault.datasources.reports.role=");
			});
	}

	@Test
	void aNamedBeanThatIsNoDataSourceFailsStartup() {
		this.contextRunner.withPropertyValues(vaultUri(), "vault.token=" + TOKEN, "vault.datasources.clock.role=x")
			.withBean(DatabaseSecretsClient.class, RecordingSecretsClient::new)
			.withBean("clock", java.time.Clock.class, java.time.Clock::systemUTC)
			.withBean("reports", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::pool)
			.run((context) -> assertThat(vaultFailure(context).getDescription())
				.contains("vault.datasources.clock names no DataSource bean").contains("[reports]"));
	}

	@Test
	void aNamedBeanThatIsNotAHikariPoolFailsStartupNamingTheProperty() {
		this.contextRunner.withPropertyValues(vaultUri(), "vault.token=" + TOKEN, "vault.datasources.reports.role=x")
			.withBean(DatabaseSecretsClient.class, RecordingSecretsClient::new)
			.withBean("reports", DataSource.class,
					() -> new SimpleDriverDataSource(new org.postgresql.Driver(), "jdbc:postgresql://db.example.com/app"))
			.run((context) -> {
				VaultDataSourceException failure = vaultFailure(context);
				assertThat(failure.getDescription()).contains("vault.datasources.reports")
					.contains(SimpleDriverDataSource.class.getName())
					.contains("not a HikariCP pool");
				assertThat(failure.getAction()).contains("HikariDataSource");
			});
	}

	@Test
	void aNamedPoolWithoutARoleFailsStartupNamingTheProperty() {
		this.contextRunner.withPropertyValues(vaultUri(), "vault.token=" + TOKEN, "vault.datasources.x.mount=warehouse")
			.withBean(DatabaseSecretsClient.class, RecordingSecretsClient::new)
			.withBean("x", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::pool)
			.run((context) -> {
				VaultDataSourceException failure = vaultFailure(context);
				assertThat(failure.getDescription()).contains("vault.datasources.x.role is not set");
				assertThat(failure.getAction()).contains("vault.datasources.x.role=");
			});
	}

	@Test
	void aNamedPoolStartedBeforeItCouldBeManagedFailsStartup() {
		this.contextRunner.withPropertyValues(vaultUri(), "vault.token=" + TOKEN, "vault.datasources.reports.role=x")
			.withBean(DatabaseSecretsClient.class, RecordingSecretsClient::new)
			.withBean("reports", HikariDataSource.class, () -> {
				HikariConfig config = new HikariConfig();
				config.setJdbcUrl("jdbc:postgresql://127.0.0.1:1/app");
				// Starts the pool at once, without waiting for a connection.
				config.setInitializationFailTimeout(-1);
				return new HikariDataSource(config);
			})
			.run((context) -> assertThat(vaultFailure(context).getDescription()).contains("vault.datasources.reports")
				.contains("already started"));
	}

	@Test
	void theShortFormsRoleWithSeveralPoolsNoneCalledDataSourceFailsStartup() {
		this.contextRunner.withPropertyValues(vaultUri(), "vault.token=" + TOKEN, "vault.database.role=app")
			.withBean(DatabaseSecretsClient.class, RecordingSecretsClient::new)
			.withBean("orders", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::pool)
			.withBean("reports", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::pool)
			.run((context) -> {
				VaultDataSourceException failure = vaultFailure(context);
				assertThat(failure.getDescription()).contains("vault.database.role=app").contains("[orders, reports]");
				assertThat(failure.getAction()).contains("vault.datasources.orders.role=app");
			});
	}

	@Test
	void withOnlyNamedPoolsNoShortFormRoleIsNeededAndEachPoolReadsItsOwnPath() {
		this.contextRunner
			.withPropertyValues(vaultUri(), "vault.token=" + TOKEN, "vault.datasources.reports.role=reporting",
					"vault.datasources.reports.static-role=true")
			.withBean("reports", HikariDataSource.class, VaultDataSourceAutoConfigurationTests::pool)
			.run((context) -> {
				// This Vault answers 503 to everything: startup stops at the pool's first read.
				VaultDataSourceException failure = vaultFailure(context);
				assertThat(failure.getDescription()).contains("database/static-creds/reporting")
					.doesNotContain("vault.database.role");
			});
		assertThat(this.vaultPaths).contains("/v1/database/static-creds/reporting");
	}

	private String vaultUri() {
		return "vault.uri=http://127.0.0.1:" + this.vault.getAddress().getPort();
	}

	private static HikariDataSource pool() {
		HikariDataSource pool = new HikariDataSource();
		pool.setJdbcUrl("jdbc:postgresql://db.example.com:5432/app");
		return pool;
	}

	private static HikariDataSource fixedCredentialsPool() {
		HikariDataSource pool = pool();
		pool.setUsername("legacy_user");
		pool.setPassword(LEGACY_PASSWORD);
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

	/**
	 * Issues {@code v-1}, {@code v-2}, … for the configured role and, through {@link #forRole},
	 * {@code v-<role>-1}, … for other roles, recording what it was asked; never calls Vault.
	 */
	static final class RecordingSecretsClient implements DatabaseSecretsClient {

		static final String PASSWORD = "pw-From-Vault-7Qx";

		final AtomicInteger issued;

		final List<String> revoked;

		// mount/role/static of each client made for a named data source
		final List<String> roles;

		private final String path;

		private final String prefix;

		RecordingSecretsClient() {
			this(new AtomicInteger(), new CopyOnWriteArrayList<>(), new CopyOnWriteArrayList<>(), "database/creds/app",
					"v-");
		}

		private RecordingSecretsClient(AtomicInteger issued, List<String> revoked, List<String> roles, String path,
				String prefix) {
			this.issued = issued;
			this.revoked = revoked;
			this.roles = roles;
			this.path = path;
			this.prefix = prefix;
		}

		@Override
		public DatabaseSecretsClient forRole(String mount, String role, boolean staticRole) {
			this.roles.add(mount + "/" + role + "/" + staticRole);
			return new RecordingSecretsClient(new AtomicInteger(), this.revoked, this.roles,
					mount + (staticRole ? "/static-creds/" : "/creds/") + role, "v-" + role + "-");
		}

		@Override
		public String credentialsPath() {
			return this.path;
		}

		@Override
		public CredentialLease issue() {
			int number = this.issued.incrementAndGet();
			return CredentialLease.issued(new DatabaseCredentials(this.prefix + number, PASSWORD),
					this.path + "/AbCdEfGh000" + number, true, Instant.now(), Duration.ofHours(1));
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
