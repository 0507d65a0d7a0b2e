package io.github.vaultdatasource.autoconfigure;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import javax.sql.DataSource;

import io.github.vaultdatasource.RotationReason;
import io.github.vaultdatasource.event.CredentialsRotatedEvent;
import io.github.vaultdatasource.event.LeaseFailureEvent;
import io.github.vaultdatasource.event.LeaseRenewedEvent;
import io.github.vaultdatasource.event.VaultDataSourceEvent;
import io.github.vaultdatasource.health.VaultServerHealthIndicator;
import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.testsupport.QueryLoad;
import io.github.vaultdatasource.testsupport.ScriptedServers;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationListener;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Failover of a real 3-node OpenBao Raft cluster ({@code scripts/vault-raft.sh}: static seal, nodes
 * joined through sys/storage/raft/join, performance_multiplier = 1) under 16 threads of queries, with
 * 30 s / 120 s leases:
 * the active node is SIGKILLed during renewals and during a rotation, and restarted 15 s later.
 * The application knows all three addresses ({@code vault.uri}) or only haproxy's. Each test
 * prints what the application saw: the time from the kill to its next successful Vault call,
 * and the failed queries, which must be none.
 */
class VaultFailoverIntegrationTests {

	private static final String ROLE = "ha";

	private static final Duration DOWN_FOR = Duration.ofSeconds(15);

	private static ScriptedServers cluster;

	private final VaultTestEnvironment environment = VaultTestEnvironment.get();

	private final EventLog events = new EventLog();

	private ApplicationContextRunner contextRunner;

	@BeforeAll
	static void startCluster() {
		cluster = ScriptedServers.up("vault-raft.sh", "raft/env", Duration.ofMinutes(4));
		cluster.run(Duration.ofMinutes(1), "role", ROLE, "30s", "120s");
	}

	@AfterAll
	static void stopCluster() {
		cluster.down();
	}

	@BeforeEach
	void healthyCluster() {
		cluster.run(Duration.ofMinutes(3), "wait-healthy", "150");
		this.contextRunner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					VaultDataSourceAutoConfiguration.class, VaultDataSourceHealthAutoConfiguration.class))
			.withBean(EventLog.class, () -> this.events)
			.withPropertyValues("spring.datasource.url=" + this.environment.jdbcUrl(),
					"vault.token=" + cluster.variable("VDS_RAFT_TOKEN"), "vault.database.role=" + ROLE,
					"vault.connection-timeout=1s", "vault.read-timeout=8s",
					"spring.datasource.hikari.maximum-pool-size=10",
					// The kill is timed against the renewal schedule and the tests expect the failover to
					// be met by a renewal: no random first-rotation phase (with jitter, the first rotation
					// of a lease whose max_ttl is known lands anywhere in its life, here 120 s).
					"vault.lease.jitter=0");
	}

	@Test
	void killingTheActiveNodeDuringRenewalsFailsNoQuery() {
		this.contextRunner.withPropertyValues("vault.uri=" + cluster.variable("VDS_RAFT_ADDRS"))
			.run((context) -> killDuringRenewals(context, "address list"));
	}

	@Test
	void killingTheActiveNodeDuringARotationFailsNoQuery() {
		this.contextRunner.withPropertyValues("vault.uri=" + cluster.variable("VDS_RAFT_ADDRS")).run((context) -> {
			assertThat(context).hasNotFailed();
			LeaseLifecycle lease = context.getBean(ManagedLeases.class).all().get(0);
			QueryLoad load = QueryLoad.start(context.getBean(DataSource.class), 16);
			this.events.await(LeaseRenewedEvent.class, (event) -> true, Duration.ofSeconds(40));
			String userBefore = lease.status().username();
			int leader = leader();
			lease.rotateNow(RotationReason.FORCED);
			long killedAt = kill(leader);
			CredentialsRotatedEvent rotated = this.events.await(CredentialsRotatedEvent.class,
					(event) -> event.getPreviousUsername().equals(userBefore), Duration.ofSeconds(30));
			long failover = this.events.nanosOf(rotated) - killedAt;
			// The new lease renews on the new active node.
			this.events.await(LeaseRenewedEvent.class, (event) -> event.getUsername().equals(rotated.getUsername()),
					Duration.ofSeconds(40));
			restartAfterDowntime(leader, killedAt);
			// Renewals go on after the killed node rejoined (by then max_ttl may have rotated the lease again).
			long rejoined = System.nanoTime();
			this.events.await(LeaseRenewedEvent.class, (event) -> this.events.nanosOf(event) > rejoined,
					Duration.ofSeconds(40));
			List<QueryLoad.Result> results = load.stop();
			report("rotation, address list", leader, failover, results);
			assertThat(QueryLoad.failuresByState(results)).isEmpty();
			assertThat(rotated.getUsername()).isNotEqualTo(userBefore);
		});
	}

	@Test
	void killingTheActiveNodeBehindHaproxyFailsNoQuery() {
		this.contextRunner.withPropertyValues("vault.uri=" + cluster.variable("VDS_RAFT_HAPROXY_ADDR"))
			.run((context) -> killDuringRenewals(context, "haproxy"));
	}

	private void killDuringRenewals(AssertableApplicationContext context, String topology) throws Exception {
		assertThat(context).hasNotFailed();
		LeaseLifecycle lease = context.getBean(ManagedLeases.class).all().get(0);
		QueryLoad load = QueryLoad.start(context.getBean(DataSource.class), 16);
		LeaseRenewedEvent renewed = this.events.await(LeaseRenewedEvent.class, (event) -> true, Duration.ofSeconds(40));
		String leaseBefore = renewed.getShortLeaseId();
		// Renewals come every ~15 s (half of 30 s, spread ±10 %): kill just before the next one, when the
		// lease has ~17 s left. The promise is no failed query while the cluster elects a new leader within
		// the lease's remaining time; with 10 s leases (5.8 s left) a failover slowed to 6 s by a loaded
		// machine let the lease expire, and Vault ended its sessions (10 queries in flight, 57P01).
		long renewedAt = this.events.nanosOf(renewed);
		Thread.sleep(Math.max(0, Duration.ofMillis(12_500).toMillis() - Duration.ofNanos(System.nanoTime() - renewedAt).toMillis()));
		int leader = leader();
		long killedAt = kill(leader);
		VaultDataSourceEvent next = this.events.await(VaultDataSourceEvent.class,
				(event) -> (event instanceof LeaseRenewedEvent || event instanceof CredentialsRotatedEvent)
						&& this.events.nanosOf(event) > killedAt,
				Duration.ofSeconds(30));
		long failover = this.events.nanosOf(next) - killedAt;
		Health health = context.getBean(VaultServerHealthIndicator.class).health();
		restartAfterDowntime(leader, killedAt);
		long rejoined = System.nanoTime();
		this.events.await(LeaseRenewedEvent.class, (event) -> this.events.nanosOf(event) > rejoined,
				Duration.ofSeconds(40));
		List<QueryLoad.Result> results = load.stop();
		report("renewal, " + topology, leader, failover, results);
		assertThat(QueryLoad.failuresByState(results)).isEmpty();
		// The lease issued before the failover is the one renewed after it.
		assertThat(next).isInstanceOf(LeaseRenewedEvent.class);
		assertThat(next.getShortLeaseId()).isEqualTo(leaseBefore);
		assertThat(lease.status().counts().rotations()).isZero();
		assertThat(health.getStatus()).isEqualTo(org.springframework.boot.health.contributor.Status.UP);
		assertThat(health.getDetails().get("node")).isNotEqualTo(nodeAddress(leader));
	}

	private int leader() {
		return Integer.parseInt(cluster.run(Duration.ofSeconds(30), "leader").trim());
	}

	private long kill(int node) {
		long killedAt = System.nanoTime();
		cluster.run(Duration.ofSeconds(30), "kill", String.valueOf(node));
		return killedAt;
	}

	private void restartAfterDowntime(int node, long killedAt) throws InterruptedException {
		long downFor = System.nanoTime() - killedAt;
		// Not a wait for a condition: the node stays down for DOWN_FOR, whatever the library does.
		Thread.sleep(Math.max(0, DOWN_FOR.minusNanos(downFor).toMillis()));
		cluster.run(Duration.ofSeconds(30), "start", String.valueOf(node));
		// Rejoined: unsealed again, a voter, and a leader elected.
		cluster.run(Duration.ofMinutes(3), "wait-healthy", "150");
	}

	private String nodeAddress(int node) {
		List<String> addresses = List.of(cluster.variable("VDS_RAFT_ADDRS").split(","));
		return URI.create(addresses.get(node - 1)).toString();
	}

	private void report(String scenario, int killed, long failoverNanos, List<QueryLoad.Result> results) {
		long failed = results.stream().filter((result) -> !result.succeeded()).count();
		List<LeaseFailureEvent> failures = this.events.all(LeaseFailureEvent.class);
		System.out.printf("[failover] %s: killed node %d; the app's next successful Vault call came %d ms after "
				+ "the kill; %d queries, %d failed %s; %d lease failure event(s)%s%n", scenario, killed,
				Duration.ofNanos(failoverNanos).toMillis(), results.size(), failed, QueryLoad.failuresByState(results),
				failures.size(), failures.isEmpty() ? "" : ": " + failures.get(0).getMessage());
	}

	/**
	 * Records the library's events with the {@link System#nanoTime()} they arrived at.
	 */
	static class EventLog implements ApplicationListener<VaultDataSourceEvent> {

		private final List<Map.Entry<Long, VaultDataSourceEvent>> entries = new CopyOnWriteArrayList<>();

		@Override
		public void onApplicationEvent(VaultDataSourceEvent event) {
			this.entries.add(Map.entry(System.nanoTime(), event));
		}

		long nanosOf(VaultDataSourceEvent event) {
			return this.entries.stream()
				.filter((entry) -> entry.getValue() == event)
				.findFirst()
				.orElseThrow()
				.getKey();
		}

		<T extends VaultDataSourceEvent> List<T> all(Class<T> type) {
			return this.entries.stream().map(Map.Entry::getValue).filter(type::isInstance).map(type::cast).toList();
		}

		<T extends VaultDataSourceEvent> T await(Class<T> type, Predicate<T> condition, Duration timeout) {
			try {
				return Awaitility.await()
					.atMost(timeout)
					.pollInterval(Duration.ofMillis(50))
					.until(() -> first(type, condition), Optional::isPresent)
					.get();
			}
			catch (ConditionTimeoutException ex) {
				throw new AssertionError("No " + type.getSimpleName() + " within " + timeout + "; events: "
						+ this.entries.stream().map((entry) -> entry.getValue().getClass().getSimpleName()).toList(),
						ex);
			}
		}

		private <T extends VaultDataSourceEvent> Optional<T> first(Class<T> type, Predicate<T> condition) {
			return this.entries.stream()
				.map(Map.Entry::getValue)
				.filter(type::isInstance)
				.map(type::cast)
				.filter(condition)
				.findFirst();
		}

	}

}
