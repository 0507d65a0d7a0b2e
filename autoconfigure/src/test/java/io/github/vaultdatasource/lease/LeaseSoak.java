package io.github.vaultdatasource.lease;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import io.github.vaultdatasource.autoconfigure.VaultDataSourceAutoConfiguration;
import io.github.vaultdatasource.testsupport.QueryLoad;
import io.github.vaultdatasource.testsupport.QueryLoad.Result;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The soak: hundreds of rotations under load in one run against the real OpenBao and PostgreSQL,
 * checking that nothing accumulates — no failed query, no database user or lease left, heap after
 * GC and live threads flat. Not part of the test command (it takes minutes); run it with
 * {@code scripts/soak.sh}, which prints the figures that {@code docs/reliability.md} quotes.
 */
class LeaseSoak {

	private static final int THREADS = 16;

	private final VaultTestEnvironment env = VaultTestEnvironment.get();

	@Test
	void hundredsOfRotationsUnderLoadLeaveNothingBehind() {
		int rotations = Integer.getInteger("soak.rotations", 200);
		String role = VaultTestEnvironment.uniqueName("soak");
		// Leases of seconds, so that hundreds of rotations fit in minutes; a TTL under the few seconds a
		// login can take on a loaded machine would measure the machine (a 2 s TTL once expired while the
		// new user's first login was still under way at load average 20).
		this.env.createRole(role, "4s", "10s");
		List<String> samples = new ArrayList<>();
		long[] heap = new long[3];
		int[] threads = new int[3];
		new ApplicationContextRunner()
			.withConfiguration(
					AutoConfigurations.of(DataSourceAutoConfiguration.class, VaultDataSourceAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=" + this.env.jdbcUrl(), "vault.uri=" + this.env.vaultAddress(),
					"vault.token=" + this.env.rootToken(), "vault.database.role=" + role,
					"spring.datasource.hikari.maximum-pool-size=10", "vault.read-timeout=5s")
			.run((context) -> {
				LeaseLifecycle lifecycle = context.getBean(ManagedLeases.class).all().get(0);
				// Counting only: a record per query would be most of the heap this test watches.
				QueryLoad load = QueryLoad.startCounting(context.getBean(DataSource.class), THREADS);
				long started = System.nanoTime();
				waitForRotations(lifecycle, 5);
				sample(0, "start", lifecycle, heap, threads, samples, started);
				waitForRotations(lifecycle, rotations / 2);
				sample(1, "middle", lifecycle, heap, threads, samples, started);
				waitForRotations(lifecycle, rotations);
				sample(2, "end", lifecycle, heap, threads, samples, started);
				List<Result> failures = load.stop();
				samples.forEach(System.out::println);
				System.out.printf("SOAK %d rotations, %d renewals, %d queries, %d failed %s, %d users, %.0f s%n",
						lifecycle.counters().rotations(), lifecycle.counters().renewals(),
						load.succeeded() + failures.size(), failures.size(), QueryLoad.failuresByState(failures),
						load.users().size(), (System.nanoTime() - started) / 1e9);
				assertThat(failures).as("failed queries %s", QueryLoad.failuresByState(failures)).isEmpty();
			});
		List<String> rolesLeft = this.env.issuedUsers(role);
		List<String> leasesLeft = this.env.leases("database/creds/" + role);
		System.out.printf("SOAK after shutdown: %d users left, %d leases left%n", rolesLeft.size(), leasesLeft.size());
		assertThat(rolesLeft).isEmpty();
		assertThat(leasesLeft).isEmpty();
		// A leak per rotation would show as megabytes or a thread per rotation after hundreds of them.
		assertThat(heap[2] - heap[0]).as("heap growth after GC, bytes").isLessThan(16L * 1024 * 1024);
		assertThat(threads[2] - threads[0]).as("live thread growth").isLessThanOrEqualTo(3);
	}

	private static void waitForRotations(LeaseLifecycle lifecycle, int count) throws InterruptedException {
		while (lifecycle.counters().finishedRotations() < count) {
			Thread.sleep(200);
		}
	}

	private static void sample(int index, String when, LeaseLifecycle lifecycle, long[] heap, int[] threads,
			List<String> samples, long started) throws InterruptedException {
		MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
		ThreadMXBean threadBean = ManagementFactory.getThreadMXBean();
		for (int i = 0; i < 3; i++) {
			System.gc();
			Thread.sleep(Duration.ofMillis(200).toMillis());
		}
		heap[index] = memory.getHeapMemoryUsage().getUsed();
		threads[index] = threadBean.getThreadCount();
		samples.add(String.format("SOAK %-6s after %4d rotations at %5.0f s: heap after GC %6.1f MB, live threads %d",
				when, lifecycle.counters().finishedRotations(), (System.nanoTime() - started) / 1e9,
				heap[index] / (1024.0 * 1024.0), threads[index]));
	}

}
