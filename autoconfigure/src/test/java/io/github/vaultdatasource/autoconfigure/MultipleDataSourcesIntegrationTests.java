package io.github.vaultdatasource.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.github.vaultdatasource.actuate.endpoint.VaultLeasesEndpoint;
import io.github.vaultdatasource.event.CredentialsRotatedEvent;
import io.github.vaultdatasource.event.VaultDataSourceEvent;
import io.github.vaultdatasource.health.VaultLeasesHealthContributor;
import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.testsupport.DatabaseFixtures;
import io.github.vaultdatasource.testsupport.DatabaseFixtures.Session;
import io.github.vaultdatasource.testsupport.DebugLogging;
import io.github.vaultdatasource.testsupport.LeaseSecrets;
import io.github.vaultdatasource.testsupport.QueryLoad;
import io.github.vaultdatasource.testsupport.QueryLoad.Result;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceProperties;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several data sources against the real OpenBao and PostgreSQL, configured the way Boot documents
 * it: a {@code @Primary} pool from its own {@link DataSourceProperties}, a {@code @Qualifier}
 * pool from {@link DataSourceBuilder}, each on its own database with its own Vault role and
 * staggered short leases, and a third pool with fixed credentials that vault-datasource must not
 * touch. Eight threads query each pool throughout; each Vault-backed pool rotates several times
 * with no failed query, is served only by its own role's users, appears under its bean name in
 * health, the endpoint and the metrics, and leaves no user behind. The library logs at DEBUG, so
 * a failed run shows when each lease was renewed.
 */
@ExtendWith({ OutputCaptureExtension.class, DebugLogging.class })
class MultipleDataSourcesIntegrationTests {

	private static final int THREADS = 8;

	private static final int ROTATIONS = 3;

	private static final String REPORTS_DB = "appdb_reports";

	private final VaultTestEnvironment env = VaultTestEnvironment.get();

	private final DatabaseFixtures fixtures = new DatabaseFixtures(this.env);

	private final LeaseSecrets secrets = new LeaseSecrets();

	private final String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);

	// Different in their first 8 characters: Vault's user names keep only those of the role.
	private final String ordersRole = "mo" + this.suffix;

	private final String reportsRole = "mr" + this.suffix;

	private final String fixedUser = "it_fixed_" + this.suffix;

	private final String fixedPassword = "Fixed-" + UUID.randomUUID();

	private final String managementPassword = "Mgmt-" + UUID.randomUUID();

	@BeforeEach
	void createDatabasesRolesAndTheFixedUser() {
		this.fixtures.createDatabase(REPORTS_DB, "vault_mgmt_reports", this.managementPassword);
		// Leases longer than OpenBao's stalls on a loaded CI machine (up to 7 s without answering
		// anything; see reliability.md): no lease survives a Vault that is silent past its TTL.
		this.env.createRole(this.ordersRole, "10s", "20s");
		this.fixtures.createRole(this.reportsRole, REPORTS_DB, "12s", "25s");
		this.fixtures.createLoginUser(this.fixedUser, this.fixedPassword);
	}

	@AfterEach
	void dropTheFixedUserAndCheckTheLogs(CapturedOutput output) {
		this.env.deleteRole(this.ordersRole);
		this.env.deleteRole(this.reportsRole);
		this.fixtures.dropLoginUser(this.fixedUser);
		String logs = output.getAll();
		assertThat(this.secrets.all()).isNotEmpty();
		this.secrets.all().forEach((secret) -> assertThat(logs).doesNotContain(secret));
		assertThat(logs).doesNotContain(this.fixedPassword)
			.doesNotContain(this.managementPassword)
			.doesNotContain(this.env.rootToken());
	}

	// vault.read-timeout 5 s, as in the fault tests: at 2 s, a renewal OpenBao took longer over on a
	// loaded machine was cancelled (Vault drops a request whose client has gone), and the 4 s lease
	// expired under the pool.
	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					VaultDataSourceAutoConfiguration.class, VaultDataSourceHealthAutoConfiguration.class,
					VaultLeasesEndpointAutoConfiguration.class, MetricsAutoConfiguration.class,
					SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
					VaultDataSourceMetricsAutoConfiguration.class))
			.withUserConfiguration(ThreePools.class)
			.withBean(LeaseSecrets.class, () -> this.secrets)
			.withBean(EventRecorder.class)
			.withPropertyValues("vault.uri=" + this.env.vaultAddress(), "vault.token=" + this.env.rootToken(),
					"vault.read-timeout=5s", "vault.datasources.orders.role=" + this.ordersRole,
					"vault.datasources.reports.role=" + this.reportsRole,
					"management.endpoints.web.exposure.include=health,vaultleases",
					"app.datasource.orders.url=" + this.env.jdbcUrl(),
					"app.datasource.orders.hikari.pool-name=orders",
					"app.datasource.orders.hikari.maximum-pool-size=6",
					"app.datasource.reports.jdbc-url=" + this.fixtures.jdbcUrl(REPORTS_DB),
					"app.datasource.reports.pool-name=reports", "app.datasource.reports.maximum-pool-size=6",
					"app.datasource.legacy.jdbc-url=" + this.env.jdbcUrl(), "app.datasource.legacy.pool-name=legacy",
					"app.datasource.legacy.maximum-pool-size=3", "app.datasource.legacy.username=" + this.fixedUser,
					"app.datasource.legacy.password=" + this.fixedPassword);
	}

	@Test
	void twoVaultPoolsRotateOnTheirOwnSchedulesUnderLoadAndAThirdKeepsItsCredentials() {
		long started = System.nanoTime();
		runner().run((context) -> {
			assertThat(context).hasNotFailed();
			Consumers consumers = context.getBean(Consumers.class);
			HikariDataSource orders = context.getBean("orders", HikariDataSource.class);
			HikariDataSource reports = context.getBean("reports", HikariDataSource.class);
			HikariDataSource legacy = context.getBean("legacy", HikariDataSource.class);
			// Boot's conventions hold: the unqualified DataSource is the @Primary one.
			assertThat(consumers.primary()).isSameAs(orders);
			assertThat(consumers.reports()).isSameAs(reports);
			assertThat(consumers.legacy()).isSameAs(legacy);
			ManagedLeases leases = context.getBean(ManagedLeases.class);
			assertThat(leases.all()).extracting(LeaseLifecycle::name).containsExactlyInAnyOrder("orders", "reports");

			// Switches counted at the switch itself: a rotation's event comes only after its old lease
			// is revoked, a random moment after the drain, and the first rotations may come while the
			// context still starts, before any load.
			Map<String, Long> switchesBefore = switches(leases);
			Map<String, QueryLoad> loads = new LinkedHashMap<>();
			loads.put("orders", QueryLoad.start(orders, THREADS));
			loads.put("reports", QueryLoad.start(reports, THREADS));
			loads.put("legacy", QueryLoad.start(legacy, THREADS));
			List<Session> sessions = new ArrayList<>();
			// At least 30 s, and until each Vault pool has rotated ROTATIONS times: how long that
			// takes depends on how late Vault and a loaded machine answer.
			long loadStarted = System.nanoTime();
			long deadline = loadStarted + Duration.ofSeconds(90).toNanos();
			EventRecorder events = context.getBean(EventRecorder.class);
			while (System.nanoTime() < deadline && (System.nanoTime() - loadStarted < Duration.ofSeconds(30).toNanos()
					|| events.rotations("orders").size() < ROTATIONS || events.rotations("reports").size() < ROTATIONS)) {
				Thread.sleep(1000);
				sessions.addAll(this.fixtures.sessions());
			}
			Duration loaded = Duration.ofNanos(System.nanoTime() - loadStarted);
			// Switches done while the load ran: each one's old user was current under load and served queries.
			Map<String, Long> switchesAfter = switches(leases);
			Map<String, Long> rotatedUnderLoad = new LinkedHashMap<>();
			for (String name : List.of("orders", "reports")) {
				rotatedUnderLoad.put(name, switchesAfter.get(name) - switchesBefore.get(name));
			}
			Map<String, List<Result>> results = new LinkedHashMap<>();
			loads.forEach((name, load) -> results.put(name, load.stop()));

			Map<String, Long> rotations = new LinkedHashMap<>();
			for (String name : List.of("orders", "reports")) {
				rotations.put(name, (long) events.rotations(name).size());
			}
			System.out.printf("several data sources: %d s of load%n", loaded.toSeconds());
			results.forEach((name, list) -> System.out.printf("several data sources, pool '%s': %d queries, %d failed "
					+ "%s, users %d, rotations %s%n", name, list.size(), failed(list), QueryLoad.failuresByState(list),
					users(list).size(), rotations.get(name)));
			for (String name : List.of("orders", "reports")) {
				events.rotations(name)
					.forEach((rotation) -> System.out.printf("  %s: %s -> %s (%s) %s, old left %d%n", name,
							rotation.getPreviousUsername(), rotation.getUsername(), rotation.getReason(),
							rotation.getTimings(), rotation.getOldConnectionsLeft()));
			}

			// Zero failed queries on every pool, and each served by its own users only.
			results.forEach((name, list) -> assertThat(failed(list))
				.as("failed queries of %s: %s", name, QueryLoad.failuresByState(list))
				.isZero());
			assertThat(users(results.get("orders"))).isNotEmpty()
				.allSatisfy((user) -> assertThat(issuedFor(user, this.ordersRole)).as(user).isTrue());
			assertThat(users(results.get("reports"))).isNotEmpty()
				.allSatisfy((user) -> assertThat(issuedFor(user, this.reportsRole)).as(user).isTrue());
			assertThat(users(results.get("legacy"))).containsExactly(this.fixedUser);
			// Several rotations each, every old user drained before its lease was revoked.
			for (String name : List.of("orders", "reports")) {
				assertThat(events.rotations(name)).as("rotations of %s", name).hasSizeGreaterThanOrEqualTo(ROTATIONS)
					.allSatisfy((rotation) -> assertThat(rotation.getOldConnectionsLeft()).isZero());
				assertThat(users(results.get(name))).hasSizeGreaterThanOrEqualTo(Math.toIntExact(rotatedUnderLoad.get(name)));
			}
			// As PostgreSQL saw it: each role's users only in their own database.
			assertThat(sessions).filteredOn((session) -> issuedFor(session.user(), this.ordersRole))
				.isNotEmpty()
				.allSatisfy((session) -> assertThat(session.database()).isEqualTo(this.env.variable("VDS_DB")));
			assertThat(sessions).filteredOn((session) -> issuedFor(session.user(), this.reportsRole))
				.isNotEmpty()
				.allSatisfy((session) -> assertThat(session.database()).isEqualTo(REPORTS_DB));
			assertThat(sessions).filteredOn((session) -> session.database().equals(REPORTS_DB))
				.allSatisfy((session) -> assertThat(issuedFor(session.user(), this.reportsRole)
						|| session.user().equals(this.env.variable("VDS_PG_ADMIN_USER"))
						|| session.user().equals("vault_mgmt_reports")).as(session.user()).isTrue());
			assertThat(sessions).filteredOn((session) -> session.user().equals(this.fixedUser)).isNotEmpty();

			// The untouched pool kept its own user and password and never saw Vault.
			assertThat(legacy.getUsername()).isEqualTo(this.fixedUser);
			assertThat(legacy.getPassword()).isEqualTo(this.fixedPassword);
			assertThat(legacy.getCredentialsProvider()).isNull();
			assertThat(events.dataSources()).containsExactlyInAnyOrder("orders", "reports");

			// Health: one entry per bean name, each UP.
			VaultLeasesHealthContributor health = context.getBean(VaultLeasesHealthContributor.class);
			Map<String, Status> statuses = health.stream()
				.collect(Collectors.toMap((entry) -> entry.name(),
						(entry) -> ((HealthIndicator) entry.contributor()).health().getStatus()));
			assertThat(statuses).containsOnlyKeys("orders", "reports").containsValues(Status.UP);
			// The endpoint: one lease per bean name, with its role.
			Map<String, VaultLeasesEndpoint.LeaseDescriptor> described = context.getBean(VaultLeasesEndpoint.class)
				.leases()
				.leases();
			assertThat(described).containsOnlyKeys("orders", "reports");
			assertThat(described.get("orders").role()).isEqualTo(this.ordersRole);
			assertThat(described.get("reports").role()).isEqualTo(this.reportsRole);
			// The metrics: tagged with the bean name, counting each pool's own rotations.
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.find("vault.datasource.lease.remaining").meters()).map(this::dataSourceTag)
				.containsExactlyInAnyOrder("orders", "reports");
			for (String name : List.of("orders", "reports")) {
				double counted = registry.find("vault.datasource.lease.rotations")
					.tags("datasource", name, "outcome", "success")
					.functionCounters()
					.stream()
					.mapToDouble(FunctionCounter::count)
					.sum();
				assertThat(counted).as("rotations of %s in the metrics", name)
					.isGreaterThanOrEqualTo(events.rotations(name).size());
			}
			assertThat(registry.getMeters()).map(this::dataSourceTag).doesNotContain("legacy");
		});
		System.out.printf("several data sources: whole test %d s%n",
				Duration.ofNanos(System.nanoTime() - started).toSeconds());
		assertThat(this.env.issuedUsers(this.ordersRole)).as("users of the orders role left").isEmpty();
		assertThat(this.env.issuedUsers(this.reportsRole)).as("users of the reports role left").isEmpty();
		assertThat(this.fixtures.acceptsLogin(this.fixedUser, this.fixedPassword)).isTrue();
	}

	private String dataSourceTag(Meter meter) {
		return meter.getId().getTag("datasource");
	}

	private static Map<String, Long> switches(ManagedLeases leases) {
		Map<String, Long> switches = new LinkedHashMap<>();
		leases.all().forEach((lease) -> switches.put(lease.name(), lease.status().counts().rotations()));
		return switches;
	}

	private static long failed(List<Result> results) {
		return results.stream().filter((result) -> !result.succeeded()).count();
	}

	private static Set<String> users(List<Result> results) {
		return results.stream()
			.filter(Result::succeeded)
			.map(Result::user)
			.collect(Collectors.toCollection(TreeSet::new));
	}

	// Vault's PostgreSQL user names: v-<display name, 8>-<role, 8>-<random>-<time>.
	private static boolean issuedFor(String user, String role) {
		String truncated = (role.length() > 8) ? role.substring(0, 8) : role;
		return Pattern.compile("v-[^-]{1,8}-" + Pattern.quote(truncated) + "-[A-Za-z0-9]{20}-[0-9]+")
			.matcher(user)
			.matches();
	}

	/**
	 * Three pools the way Boot's documentation builds several: a primary one from its own
	 * {@link DataSourceProperties}, further ones with {@link DataSourceBuilder}, qualified and not
	 * default candidates for injection by type.
	 */
	@Configuration(proxyBeanMethods = false)
	static class ThreePools {

		@Bean
		@Primary
		@ConfigurationProperties("app.datasource.orders")
		DataSourceProperties ordersDataSourceProperties() {
			return new DataSourceProperties();
		}

		@Bean
		@Primary
		@ConfigurationProperties("app.datasource.orders.hikari")
		HikariDataSource orders(DataSourceProperties ordersDataSourceProperties) {
			return ordersDataSourceProperties.initializeDataSourceBuilder().type(HikariDataSource.class).build();
		}

		@Bean(defaultCandidate = false)
		@Qualifier("reports")
		@ConfigurationProperties("app.datasource.reports")
		HikariDataSource reports() {
			return DataSourceBuilder.create().type(HikariDataSource.class).build();
		}

		@Bean(defaultCandidate = false)
		@Qualifier("legacy")
		@ConfigurationProperties("app.datasource.legacy")
		HikariDataSource legacy() {
			return DataSourceBuilder.create().type(HikariDataSource.class).build();
		}

		@Bean
		Consumers consumers(DataSource primary, @Qualifier("reports") DataSource reports,
				@Qualifier("legacy") DataSource legacy) {
			return new Consumers(primary, reports, legacy);
		}

	}

	/**
	 * What an application's repositories would be given.
	 *
	 * @param primary the DataSource injected by type
	 * @param reports the one qualified {@code reports}
	 * @param legacy the one qualified {@code legacy}
	 */
	record Consumers(DataSource primary, DataSource reports, DataSource legacy) {

	}

	static class EventRecorder implements ApplicationListener<VaultDataSourceEvent> {

		private final List<VaultDataSourceEvent> events = new CopyOnWriteArrayList<>();

		@Override
		public void onApplicationEvent(VaultDataSourceEvent event) {
			this.events.add(event);
		}

		List<CredentialsRotatedEvent> rotations(String dataSource) {
			return this.events.stream()
				.filter(CredentialsRotatedEvent.class::isInstance)
				.map(CredentialsRotatedEvent.class::cast)
				.filter((event) -> event.getDataSourceName().equals(dataSource))
				.toList();
		}

		Set<String> dataSources() {
			return this.events.stream()
				.map(VaultDataSourceEvent::getDataSourceName)
				.collect(Collectors.toCollection(TreeSet::new));
		}

	}

}
