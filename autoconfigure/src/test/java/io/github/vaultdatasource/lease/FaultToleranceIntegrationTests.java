package io.github.vaultdatasource.lease;

import java.net.URI;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.RotationReason;
import io.github.vaultdatasource.autoconfigure.VaultDataSourceAutoConfiguration;
import io.github.vaultdatasource.event.CredentialsRotatedEvent;
import io.github.vaultdatasource.event.VaultDataSourceEvent;
import io.github.vaultdatasource.testsupport.FaultFigures;
import io.github.vaultdatasource.testsupport.LeaseSecrets;
import io.github.vaultdatasource.testsupport.QueryLoad;
import io.github.vaultdatasource.testsupport.QueryLoad.Result;
import io.github.vaultdatasource.testsupport.TcpProxy;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationListener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The zero-failed-queries promise under faults, against the real OpenBao and PostgreSQL with 16
 * threads querying all the time: a slow Vault, a lease revoked from outside, Vault paused past a
 * lease's TTL, PostgreSQL and OpenBao restarted, the database refusing the surge, {@code max_ttl}
 * lowered at runtime, and a shutdown in the middle of a slow rotation. Each test prints its figures
 * ({@link FaultFigures}) and asserts what the design guarantees: no failed query where the
 * credentials stay valid, no more failures than queries in flight where the database itself kills
 * the sessions, nothing left behind after shutdown. Never a wall-clock margin.
 */
@ExtendWith(OutputCaptureExtension.class)
class FaultToleranceIntegrationTests {

	private static final int THREADS = 16;

	private static final int POOL = 10;

	private final VaultTestEnvironment env = VaultTestEnvironment.get();

	private final LeaseSecrets secrets = new LeaseSecrets();

	private final List<AutoCloseable> cleanups = new CopyOnWriteArrayList<>();

	private ApplicationContextRunner runner(String vaultUri, String role, String... properties) {
		return new ApplicationContextRunner()
			.withConfiguration(
					AutoConfigurations.of(DataSourceAutoConfiguration.class, VaultDataSourceAutoConfiguration.class))
			.withBean(LeaseSecrets.class, () -> this.secrets)
			.withBean(Rotations.class)
			.withPropertyValues("spring.datasource.url=" + this.env.jdbcUrl(), "vault.uri=" + vaultUri,
					"vault.token=" + this.env.rootToken(), "vault.database.role=" + role,
					"spring.datasource.hikari.maximum-pool-size=" + POOL, "vault.read-timeout=5s")
			.withPropertyValues(properties);
	}

	@AfterEach
	void noSecretWasLoggedAndNothingWasLeftOpen(CapturedOutput output) throws Exception {
		for (AutoCloseable cleanup : this.cleanups) {
			cleanup.close();
		}
		String logs = output.getAll();
		this.secrets.all().forEach((secret) -> assertThat(logs).doesNotContain(secret));
		assertThat(logs).doesNotContain(this.env.rootToken());
	}

	private String newRole(String defaultTtl, String maxTtl) {
		String role = VaultTestEnvironment.uniqueName("ft");
		this.env.createRole(role, defaultTtl, maxTtl);
		return role;
	}

	@Test
	void aVaultAnsweringOneAndAHalfSecondsLateCostsNoQuery() throws Exception {
		String role = newRole("4s", "12s");
		URI vault = URI.create(this.env.vaultAddress());
		TcpProxy slow = TcpProxy.start(vault.getHost(), vault.getPort()).delay(Duration.ofMillis(1500));
		this.cleanups.add(slow);
		runner(slow.address(), role).run((context) -> {
			LeaseLifecycle lifecycle = context.getBean(ManagedLeases.class).all().get(0);
			String first = lifecycle.currentLease().username();
			long started = System.nanoTime();
			QueryLoad load = QueryLoad.start(context.getBean(DataSource.class), THREADS);
			Thread.sleep(Duration.ofSeconds(62).toMillis());
			List<Result> results = load.stop();
			FaultFigures figures = FaultFigures.of("Vault answers 1.5 s late, leases 4 s / 12 s, 62 s", results,
					started, first);
			List<CredentialsRotatedEvent> rotations = context.getBean(Rotations.class).events();
			System.out.printf("slow Vault: %d rotations, %d renewals, max_ttl known %s%n", rotations.size(),
					lifecycle.counters().renewals(), lifecycle.maxTtl());
			rotations.forEach((rotation) -> System.out.printf("  %s -> %s (%s): %s, old left %d%n",
					rotation.getPreviousUsername(), rotation.getUsername(), rotation.getReason(), rotation.getTimings(),
					rotation.getOldConnectionsLeft()));
			figures.report(0, 0);
			assertThat(figures.failed()).as("failed queries %s", figures.failures()).isZero();
			assertThat(rotations).hasSizeGreaterThanOrEqualTo(3);
			assertThat(figures.users()).hasSizeGreaterThanOrEqualTo(4);
		});
		assertNothingLeft(role);
	}

	@Test
	void aLeaseRevokedFromOutsideCostsNoMoreThanTheQueriesInFlight() {
		String role = newRole("30s", "5m");
		runner(this.env.vaultAddress(), role).run((context) -> {
			LeaseLifecycle lifecycle = context.getBean(ManagedLeases.class).all().get(0);
			QueryLoad load = QueryLoad.start(context.getBean(DataSource.class), THREADS);
			Thread.sleep(3000);
			CredentialLease revoked = lifecycle.currentLease();
			// The check for users left after shutdown finds a live one: it can fail.
			assertThat(this.env.issuedUsers(role)).contains(revoked.username());
			long revokedAt = System.nanoTime();
			assertThat(this.env.vault("PUT", "sys/leases/revoke", Map.of("lease_id", revoked.leaseId(), "sync", true))
				.status()).isEqualTo(204);
			await().atMost(Duration.ofSeconds(30))
				.until(() -> !revoked.username().equals(lifecycle.currentLease().username()));
			Thread.sleep(3000);
			List<Result> results = load.stop();
			FaultFigures figures = FaultFigures.of("lease revoked from outside (sync), 30 s / 5 m", results, revokedAt,
					revoked.username())
				.report(0, 0);
			assertThat(figures.failed()).as("failed queries %s", figures.failures())
				.isLessThanOrEqualTo(Math.min(THREADS, POOL));
			assertThat(figures.firstNewUserMillis()).isPositive();
			assertThat(lifecycle.status().state()).isEqualTo(LeaseStatus.State.ACTIVE);
		});
		assertNothingLeft(role);
	}

	@Test
	void vaultPausedPastTheLeasesTtlCostsNoMoreThanTheQueriesInFlight() throws Exception {
		String role = newRole("5s", "2m");
		runner(this.env.vaultAddress(), role, "vault.read-timeout=2s").run((context) -> {
			LeaseLifecycle lifecycle = context.getBean(ManagedLeases.class).all().get(0);
			QueryLoad load = QueryLoad.start(context.getBean(DataSource.class), THREADS);
			Thread.sleep(2000);
			String pid = this.env.variable("VDS_BAO_PID");
			String before = lifecycle.currentLease().username();
			this.env.run("kill", "-STOP", pid);
			long resumedAt;
			try {
				// Twice the lease's TTL: it expires while Vault cannot answer.
				Thread.sleep(10_000);
			}
			finally {
				this.env.run("kill", "-CONT", pid);
				resumedAt = System.nanoTime();
			}
			await().atMost(Duration.ofSeconds(30))
				.until(() -> !before.equals(lifecycle.currentLease().username())
						&& lifecycle.status().state() == LeaseStatus.State.ACTIVE);
			Thread.sleep(3000);
			List<Result> results = load.stop();
			FaultFigures figures = FaultFigures.of("Vault SIGSTOPped 10 s past a 5 s lease", results, resumedAt, before)
				.report(0, 0);
			assertThat(figures.failed()).as("failed queries %s", figures.failures())
				.isLessThanOrEqualTo(Math.min(THREADS, POOL));
		});
		assertNothingLeft(role);
	}

	@Test
	void postgresRestartedFastRecoversOnTheSameCredentials() {
		postgresRestarted("fast");
	}

	@Test
	void postgresRestartedImmediateRecoversOnTheSameCredentials() {
		postgresRestarted("immediate");
	}

	private void postgresRestarted(String mode) {
		String role = newRole("30s", "5m");
		// Without jitter the first rotation takes no random phase: with it, the rotation may fall
		// anywhere in the lease's first 4.8 minutes, in this test's 15 s about one time in twenty.
		runner(this.env.vaultAddress(), role, "vault.lease.jitter=0").run((context) -> {
			LeaseLifecycle lifecycle = context.getBean(ManagedLeases.class).all().get(0);
			QueryLoad load = QueryLoad.start(context.getBean(DataSource.class), THREADS);
			Thread.sleep(2000);
			String user = lifecycle.currentLease().username();
			long restartedAt = System.nanoTime();
			this.env.restartPostgres(mode);
			await().atMost(Duration.ofSeconds(30))
				.until(() -> load.snapshot()
					.stream()
					.anyMatch((result) -> result.succeeded() && result.startNanos() > restartedAt));
			Thread.sleep(3000);
			// A renewal Vault could not complete meanwhile (its plugin reaches the database too) is
			// retried after half to all of what is left before the rotation lead: ACTIVE again by then.
			await().atMost(Duration.ofSeconds(30))
				.until(() -> lifecycle.status().state() == LeaseStatus.State.ACTIVE);
			List<Result> results = load.stop();
			FaultFigures figures = FaultFigures.of("PostgreSQL restarted -m " + mode, results, restartedAt, null)
				.report(0, 0);
			long lastFailure = results.stream()
				.filter((result) -> !result.succeeded())
				.mapToLong(Result::endNanos)
				.max()
				.orElse(restartedAt);
			// Recovered on the same, still valid credentials: no rotation was needed.
			assertThat(results.stream().filter((result) -> result.startNanos() > lastFailure))
				.isNotEmpty()
				.allSatisfy((result) -> assertThat(result.user()).isEqualTo(user));
			assertThat(figures.failures().keySet()).allSatisfy(
					(state) -> assertThat(state).matches("57P01|57P02|57P03|08.*|null"));
			assertThat(lifecycle.status().state()).isEqualTo(LeaseStatus.State.ACTIVE);
		});
		assertNothingLeft(role);
	}

	@Test
	void openBaoRestartedWithoutItsStateKeepsServingAndReissuesOnceTheRoleIsBack(CapturedOutput output)
			throws Exception {
		String role = newRole("6s", "1m");
		AtomicReference<String> orphan = new AtomicReference<>();
		this.cleanups.add(() -> {
			if (orphan.get() != null) {
				dropRole(orphan.get());
			}
		});
		runner(this.env.vaultAddress(), role).run((context) -> {
			LeaseLifecycle lifecycle = context.getBean(ManagedLeases.class).all().get(0);
			QueryLoad load = QueryLoad.start(context.getBean(DataSource.class), THREADS);
			Thread.sleep(2000);
			String before = lifecycle.currentLease().username();
			orphan.set(before);
			long restartedAt = System.nanoTime();
			this.env.restartOpenBao();
			// An operator restores the role a few seconds later.
			Thread.sleep(2000);
			this.env.createRole(role, "6s", "1m");
			await().atMost(Duration.ofSeconds(30)).until(() -> !before.equals(lifecycle.currentLease().username()));
			Thread.sleep(3000);
			List<Result> results = load.stop();
			FaultFigures figures = FaultFigures.of("OpenBao dev server restarted (state lost), role back after 2 s",
					results, restartedAt, before)
				.report(0, 0);
			assertThat(figures.failed()).as("failed queries %s", figures.failures()).isZero();
		});
		assertThat(output.getAll()).contains("no longer knows lease").contains(orphan.get());
		assertThat(this.env.issuedUsers(role)).containsExactly(orphan.get());
	}

	@Test
	void aDatabaseRefusingTheSurgeStillRotatesAndSaysSoOnce(CapturedOutput output) throws Exception {
		String role = newRole("30s", "5m");
		// 16 connections for users that are not superusers (3 are reserved): room for the pool's 10,
		// the new user's validation connection and Vault's own (at most 4), never for the new
		// generation's 10 beside the old: its 7th new connection is refused at the latest. The surge
		// may wait 10 s for it: with max_connections 22 and the default 2 s, a machine at load
		// average 21 (logins of ~0.5 s) ended the surge before the refused login was tried.
		this.env.restartPostgres("fast", 19);
		this.cleanups.add(() -> this.env.restartPostgres("fast"));
		runner(this.env.vaultAddress(), role, "vault.rotation.surge-wait=10s").run((context) -> {
			LeaseLifecycle lifecycle = context.getBean(ManagedLeases.class).all().get(0);
			QueryLoad load = QueryLoad.start(context.getBean(DataSource.class), THREADS);
			Thread.sleep(2000);
			String before = lifecycle.currentLease().username();
			long forcedAt = System.nanoTime();
			lifecycle.rotateNow(RotationReason.FORCED);
			await().atMost(Duration.ofSeconds(30))
				.until(() -> context.getBean(Rotations.class).events().size() == 1);
			Thread.sleep(1000);
			List<Result> results = load.stop();
			FaultFigures figures = FaultFigures.of("PostgreSQL max_connections=19 refuses the surge, forced rotation",
					results, forcedAt, before)
				.report(0, 0);
			assertThat(figures.failed()).as("failed queries %s", figures.failures()).isZero();
			assertThat(lifecycle.currentLease().username()).isNotEqualTo(before);
		});
		String logs = output.getAll();
		assertThat(logs.split("refused connections of pool", -1)).as("surge refusal warnings").hasSize(2);
		assertNothingLeft(role);
	}

	@Test
	void aMaxTtlLoweredAtRuntimeRotatesWithoutFailedQueries() {
		String role = newRole("10s", "2m");
		runner(this.env.vaultAddress(), role).run((context) -> {
			LeaseLifecycle lifecycle = context.getBean(ManagedLeases.class).all().get(0);
			QueryLoad load = QueryLoad.start(context.getBean(DataSource.class), THREADS);
			Thread.sleep(3000);
			String before = lifecycle.currentLease().username();
			long loweredAt = System.nanoTime();
			// The library learns the new cap from the next renewal, half-way through the 10 s lease: 12 s
			// leaves it ~7 s to rotate in. Lowered to 6 s, as this test first did, the cap left ~1 s,
			// and whether the switch beat Vault's revocation depended on the renewal's jitter (one
			// clean-clone CI run: 10 queries in flight failed, 57P01).
			this.env.vault("POST", "database/roles/" + role, Map.of("db_name", this.env.variable("VDS_DB"),
					"default_ttl", "4s", "max_ttl", "12s"));
			await().atMost(Duration.ofSeconds(40)).until(() -> !before.equals(lifecycle.currentLease().username()));
			Thread.sleep(3000);
			List<Result> results = load.stop();
			FaultFigures figures = FaultFigures.of("max_ttl lowered from 2 m to 12 s at runtime", results, loweredAt,
					before)
				.report(0, 0);
			assertThat(figures.failed()).as("failed queries %s", figures.failures()).isZero();
		});
		assertNothingLeft(role);
	}

	@Test
	void aShutdownDuringASlowRotationLeavesNoUserAndNoLease() throws Exception {
		String role = newRole("30s", "5m");
		URI vault = URI.create(this.env.vaultAddress());
		TcpProxy slow = TcpProxy.start(vault.getHost(), vault.getPort());
		this.cleanups.add(slow);
		runner(slow.address(), role, "vault.lease.shutdown-timeout=10s").run((context) -> {
			LeaseLifecycle lifecycle = context.getBean(ManagedLeases.class).all().get(0);
			QueryLoad load = QueryLoad.start(context.getBean(DataSource.class), THREADS);
			Thread.sleep(1000);
			slow.delay(Duration.ofSeconds(3));
			lifecycle.rotateNow(RotationReason.FORCED);
			// The issue is on its way to Vault; the context closes while it waits for the answer.
			Thread.sleep(500);
			load.close();
		});
		assertNothingLeft(role);
	}

	private void assertNothingLeft(String role) {
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(this.env.issuedUsers(role)).as("users left").isEmpty());
		assertThat(this.env.leases("database/creds/" + role)).as("leases left in Vault").isEmpty();
	}

	private void dropRole(String name) throws SQLException {
		try (Connection connection = this.env.adminConnection(); Statement statement = connection.createStatement()) {
			statement.execute("DROP ROLE IF EXISTS \"" + name + "\"");
		}
	}

	static class Rotations implements ApplicationListener<VaultDataSourceEvent> {

		private final List<CredentialsRotatedEvent> events = new CopyOnWriteArrayList<>();

		@Override
		public void onApplicationEvent(VaultDataSourceEvent event) {
			if (event instanceof CredentialsRotatedEvent rotated) {
				this.events.add(rotated);
			}
		}

		List<CredentialsRotatedEvent> events() {
			return this.events;
		}

	}

}
