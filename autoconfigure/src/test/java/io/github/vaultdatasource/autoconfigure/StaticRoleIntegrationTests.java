package io.github.vaultdatasource.autoconfigure;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import com.zaxxer.hikari.HikariDataSource;
import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.RotationReason;
import io.github.vaultdatasource.event.CredentialsIssuedEvent;
import io.github.vaultdatasource.event.CredentialsRotatedEvent;
import io.github.vaultdatasource.event.VaultDataSourceEvent;
import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.lease.LeaseStatus;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.testsupport.DatabaseFixtures;
import io.github.vaultdatasource.testsupport.DatabaseFixtures.Session;
import io.github.vaultdatasource.testsupport.QueryLoad;
import io.github.vaultdatasource.testsupport.QueryLoad.Result;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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
 * A static role against the real OpenBao and PostgreSQL: one database user whose password OpenBao
 * rotates every 5 s (its shortest period), and once more from outside
 * ({@code write -f database/rotate-role/<role>}) just before the pool must open new connections,
 * while eight threads query all the time. Every rotation reaches the pool with no failed query (the
 * forced one through PostgreSQL refusing the old password); each password the pool switched to was
 * a new one that Vault issued, PostgreSQL refuses the superseded ones, and the pool's connections
 * are logins with the current one. Nothing is revoked: the user outlives the application.
 */
@ExtendWith(OutputCaptureExtension.class)
class StaticRoleIntegrationTests {

	private static final int THREADS = 8;

	// 5 on Vault's schedule and 1 forced from outside.
	private static final int ROTATIONS = 6;

	private final VaultTestEnvironment env = VaultTestEnvironment.get();

	private final DatabaseFixtures fixtures = new DatabaseFixtures(this.env);

	private final String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);

	private final String role = "st-" + this.suffix;

	private final String user = "it_static_" + this.suffix;

	private final String initialPassword = "Initial-" + UUID.randomUUID();

	// Every password Vault showed for the role, by when Vault set it, read four times a second.
	private final Map<String, String> vaultPasswords = new ConcurrentHashMap<>();

	private volatile boolean sampling = true;

	private Thread sampler;

	@BeforeEach
	void createUserAndStaticRole() {
		this.fixtures.createLoginUser(this.user, this.initialPassword);
		this.fixtures.createStaticRole(this.role, this.user, "5s");
		this.sampler = new Thread(() -> {
			while (this.sampling) {
				readVault();
				try {
					Thread.sleep(250);
				}
				catch (InterruptedException ex) {
					return;
				}
			}
		}, "vault-sampler");
		this.sampler.setDaemon(true);
		this.sampler.start();
	}

	@AfterEach
	void dropThemAndCheckTheLogs(CapturedOutput output) throws InterruptedException {
		this.sampling = false;
		this.sampler.join(5000);
		this.fixtures.deleteStaticRole(this.role);
		this.fixtures.dropLoginUser(this.user);
		String logs = output.getAll();
		assertThat(this.vaultPasswords).isNotEmpty();
		this.vaultPasswords.values().forEach((password) -> assertThat(logs).doesNotContain(password));
		assertThat(logs).doesNotContain(this.initialPassword).doesNotContain(this.env.rootToken());
	}

	@Test
	void everyPasswordRotationReachesThePoolUnderLoadWithoutAFailedQuery(CapturedOutput output) {
		new ApplicationContextRunner()
			.withConfiguration(
					AutoConfigurations.of(DataSourceAutoConfiguration.class, VaultDataSourceAutoConfiguration.class))
			.withBean(Passwords.class)
			.withPropertyValues("spring.datasource.url=" + this.env.jdbcUrl(), "vault.uri=" + this.env.vaultAddress(),
					"vault.token=" + this.env.rootToken(), "vault.database.role=" + this.role,
					"vault.database.static-role=true", "spring.datasource.hikari.maximum-pool-size=10",
					"vault.read-timeout=2s")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				HikariDataSource pool = context.getBean(HikariDataSource.class);
				LeaseLifecycle lifecycle = context.getBean(ManagedLeases.class).all().get(0);
				Passwords passwords = context.getBean(Passwords.class);
				QueryLoad load = QueryLoad.start(pool, THREADS);
				long started = System.nanoTime();
				Thread.sleep(12_000);
				String forced = forceRotation(lifecycle, pool);
				// Vault's queue rotates every 5 to 10 s, and the forced rotation moves its schedule:
				// go on until the pool has followed 5 of Vault's own rotations and the forced one.
				await().atMost(Duration.ofSeconds(90))
					.pollInterval(Duration.ofMillis(200))
					.until(() -> lifecycle.counters().rotations(RotationReason.PASSWORD_ROTATED) >= ROTATIONS);
				List<Result> results = load.stop();
				Duration loaded = Duration.ofNanos(System.nanoTime() - started);
				long failed = results.stream().filter((result) -> !result.succeeded()).count();
				// A rotation may be draining: its event comes once it is done.
				await().atMost(Duration.ofSeconds(20)).until(() -> passwords.settled(lifecycle));
				List<CredentialsRotatedEvent> rotations = passwords.rotations();
				List<String> adopted = passwords.adopted();
				System.out.printf("static role, rotation_period 5 s + 1 forced, %d s of load: %d queries, %d failed %s, "
						+ "%d rotations seen by the pool, %d passwords seen in Vault, %d passwords the pool took%n",
						loaded.toSeconds(), results.size(), failed, QueryLoad.failuresByState(results), rotations.size(),
						this.vaultPasswords.size(), lifecycle.counters().issued());
				rotations.forEach((rotation) -> System.out.printf("  %s (%s): %s, old left %d%n",
						rotation.getUsername(), rotation.getReason(), rotation.getTimings(),
						rotation.getOldConnectionsLeft()));

				assertThat(failed).as("failed queries: %s", QueryLoad.failuresByState(results)).isZero();
				assertThat(results).extracting(Result::user).containsOnly(this.user);
				// At least 5 rotations on Vault's schedule and the forced one, each a switch to a new password.
				// A connection of the previous password still in use at the drain deadline is no failure
				// here (PostgreSQL keeps its session): that every one closes in the end is checked below.
				assertThat(rotations).hasSizeGreaterThanOrEqualTo(ROTATIONS)
					.allSatisfy((rotation) -> {
						assertThat(rotation.getReason()).isEqualTo(RotationReason.PASSWORD_ROTATED);
						assertThat(rotation.getUsername()).isEqualTo(this.user);
					});
				assertThat(adopted).hasSize(rotations.size() + 1).doesNotHaveDuplicates();
				assertThat(this.vaultPasswords.values()).containsAll(adopted);
				assertThat(adopted).contains(forced);
				// The new logins after the forced rotation were refused, and that made the pool read again.
				assertThat(output.getAll()).contains("Database refused user '" + this.user
						+ "' of data source 'dataSource' (SQLState 28P01)");
				// PostgreSQL really changed it: every superseded password is refused.
				for (String superseded : adopted.subList(0, adopted.size() - 1)) {
					assertThat(this.fixtures.acceptsLogin(this.user, superseded)).isFalse();
				}
				assertThat(this.fixtures.acceptsLogin(this.user, this.initialPassword)).isFalse();
				assertPoolConnectionsUseTheCurrentPassword(pool, lifecycle, passwords);
			});
		assertThat(this.fixtures.acceptsLogin(this.user, readVault())).as("the user outlives the application")
			.isTrue();
	}

	// Rotate the password from outside 1.5 s before the rotation the pool expects: the pool reads
	// again 1 s after that time, and Vault rotates on its own again 5 s after the forced rotation at
	// the earliest, so the pool must take the forced password itself, with 2.5 s to spare either way.
	// Then the pool is made to open new connections at once, as at the end of their max-lifetime:
	// PostgreSQL refuses the old password, and the pool must read the new one without a failed query.
	private String forceRotation(LeaseLifecycle lifecycle, HikariDataSource pool) throws InterruptedException {
		long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
		while (System.nanoTime() < deadline) {
			CredentialLease lease = lifecycle.currentLease();
			Duration wait = (lease != null)
					? Duration.between(Instant.now(), lease.expiresAt().minusMillis(1500)) : Duration.ZERO;
			if (lease != null && wait.toMillis() > 0) {
				Thread.sleep(wait.toMillis());
				if (lifecycle.currentLease() == lease) {
					this.env.expectSuccess(
							this.env.vault("POST", this.env.mount() + "/rotate-role/" + this.role, null),
							"rotate-role");
					String forced = readVault();
					pool.getHikariPoolMXBean().softEvictConnections();
					return forced;
				}
			}
			Thread.sleep(100);
		}
		throw new AssertionError("no moment to force a rotation between two of Vault's own");
	}

	// Once the pool holds the password Vault shows now and no switch is under way, every session of
	// the user started after Vault set that password: PostgreSQL let them in with it alone.
	private void assertPoolConnectionsUseTheCurrentPassword(HikariDataSource pool, LeaseLifecycle lifecycle,
			Passwords passwords) throws InterruptedException {
		long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
		while (System.nanoTime() < deadline) {
			Map.Entry<String, String> before = vaultNow();
			CredentialLease lease = lifecycle.currentLease();
			boolean settled = lease != null && lease.credentials().password().equals(before.getValue())
					&& passwords.settled(lifecycle)
					&& lifecycle.status().state() == LeaseStatus.State.ACTIVE;
			if (settled) {
				try (Connection connection = pool.getConnection()) {
					// One login at least, should every connection have been idle-evicted.
				}
				catch (SQLException ex) {
					throw new IllegalStateException(ex);
				}
				List<Session> sessions = this.fixtures.sessions()
					.stream()
					.filter((session) -> session.user().equals(this.user))
					.toList();
				if (vaultNow().equals(before)) {
					Timestamp rotatedAt = Timestamp.from(Instant.parse(before.getKey()));
					assertThat(sessions).isNotEmpty()
						.allSatisfy((session) -> assertThat(session.started()).isAfter(rotatedAt));
					return;
				}
			}
			Thread.sleep(100);
		}
		throw new AssertionError("the pool never settled on the password Vault shows");
	}

	private String readVault() {
		Map.Entry<String, String> now = vaultNow();
		this.vaultPasswords.put(now.getKey(), now.getValue());
		return now.getValue();
	}

	private Map.Entry<String, String> vaultNow() {
		Map<String, Object> data = this.env
			.expectSuccess(this.env.vault("GET", this.env.mount() + "/static-creds/" + this.role, null),
					"static-creds")
			.data();
		return Map.entry((String) data.get("last_vault_rotation"), (String) data.get("password"));
	}

	/**
	 * Records the password the data source switched to at each issue event, read from the lease
	 * lifecycle at that moment, and the rotation events.
	 */
	static class Passwords implements ApplicationListener<VaultDataSourceEvent> {

		private final List<String> adopted = new CopyOnWriteArrayList<>();

		private final List<CredentialsRotatedEvent> rotations = new CopyOnWriteArrayList<>();

		@Override
		public synchronized void onApplicationEvent(VaultDataSourceEvent event) {
			if (event instanceof CredentialsIssuedEvent && event.getSource() instanceof LeaseLifecycle lifecycle) {
				this.adopted.add(lifecycle.currentLease().credentials().password());
			}
			if (event instanceof CredentialsRotatedEvent rotation) {
				this.rotations.add(rotation);
			}
		}

		List<String> adopted() {
			return new ArrayList<>(this.adopted);
		}

		List<CredentialsRotatedEvent> rotations() {
			return new ArrayList<>(this.rotations);
		}

		// Every switch the lifecycle counted has finished and was seen here.
		synchronized boolean settled(LeaseLifecycle lifecycle) {
			long counted = lifecycle.counters().rotations(RotationReason.PASSWORD_ROTATED);
			return this.rotations.size() == counted && this.adopted.size() == counted + 1;
		}

	}

}
