package io.github.vaultdatasource.benchmarks;

import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.env.Environment;

/**
 * The cost-per-pool benchmark, run in a JVM of its own: an application with {@code bench.pools}
 * HikariCP pools, each a bean of its own (so vault-datasource, when enabled, manages each with
 * its own lease), every pool open and full; then, after garbage collection, it prints the heap in
 * use and the live threads by name (and, with {@code bench.idle-seconds}, the live threads again
 * after that long idle). The suite compares it with the same application with
 * {@code vault.enabled=false} and static credentials.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class PoolCostApplication {

	public static void main(String[] args) throws Exception {
		SpringApplication application = new SpringApplication(PoolCostApplication.class);
		application.addInitializers((context) -> registerPools((GenericApplicationContext) context));
		try (ConfigurableApplicationContext context = application.run(args)) {
			Map<String, DataSource> pools = context.getBeansOfType(DataSource.class);
			for (DataSource pool : pools.values()) {
				try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
					statement.execute("SELECT 1");
				}
			}
			waitUntilFull(pools, 30_000);
			long heap = settledHeap();
			System.out.println("BENCH-COST pools=" + pools.size() + " heap-bytes=" + heap + " " + liveThreads());
			// For diagnosis only: the threads that are left once the application has been idle a while.
			int idleSeconds = context.getEnvironment().getProperty("bench.idle-seconds", Integer.class, 0);
			if (idleSeconds > 0) {
				Thread.sleep(idleSeconds * 1000L);
				System.out.println("BENCH-COST-IDLE seconds=" + idleSeconds + " " + liveThreads());
			}
		}
	}

	private static String liveThreads() {
		Map<String, Integer> threads = new TreeMap<>();
		for (Thread thread : Thread.getAllStackTraces().keySet()) {
			if (thread.isAlive()) {
				// Numbered threads (pool-3, HikariPool-7 …) count under one name.
				threads.merge(thread.getName().replaceAll("[0-9]+", "#"), 1, Integer::sum);
			}
		}
		StringBuilder names = new StringBuilder();
		threads.forEach((name, count) -> names.append(names.isEmpty() ? "" : ";")
			.append(name.replace(' ', '_'))
			.append('=')
			.append(count));
		return "threads=" + threads.values().stream().mapToInt(Integer::intValue).sum() + " names=" + names;
	}

	private static void registerPools(GenericApplicationContext context) {
		Environment environment = context.getEnvironment();
		int count = environment.getRequiredProperty("bench.pools", Integer.class);
		boolean vault = environment.getProperty("vault.enabled", Boolean.class, true);
		for (int i = 0; i < count; i++) {
			String name = "pool" + i;
			context.registerBean(name, HikariDataSource.class, () -> {
				HikariDataSource pool = new HikariDataSource();
				pool.setPoolName(name);
				pool.setJdbcUrl(environment.getRequiredProperty("spring.datasource.url"));
				pool.setMaximumPoolSize(environment.getRequiredProperty("bench.pool-size", Integer.class));
				if (!vault) {
					pool.setUsername(environment.getRequiredProperty("spring.datasource.username"));
					pool.setPassword(environment.getRequiredProperty("spring.datasource.password"));
				}
				return pool;
			});
		}
	}

	private static void waitUntilFull(Map<String, DataSource> pools, long timeoutMillis) throws InterruptedException {
		long deadline = System.currentTimeMillis() + timeoutMillis;
		for (DataSource dataSource : pools.values()) {
			HikariDataSource pool = (HikariDataSource) dataSource;
			while (pool.getHikariPoolMXBean().getTotalConnections() < pool.getMaximumPoolSize()
					&& System.currentTimeMillis() < deadline) {
				Thread.sleep(50);
			}
		}
	}

	/**
	 * Return the heap in use after repeated full collections, once it stops falling: what the
	 * application retains.
	 */
	private static long settledHeap() throws InterruptedException {
		long previous = Long.MAX_VALUE;
		long used = 0;
		for (int i = 0; i < 10; i++) {
			System.gc();
			Thread.sleep(200);
			used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
			if (i >= 2 && used >= previous) {
				break;
			}
			previous = used;
		}
		return used;
	}

}
