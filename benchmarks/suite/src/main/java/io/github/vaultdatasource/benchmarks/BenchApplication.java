package io.github.vaultdatasource.benchmarks;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.github.vaultdatasource.event.VaultDataSourceEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.context.metrics.buffering.BufferingApplicationStartup;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * The benchmarked application: Boot's own DataSource auto-configuration, with vault-datasource
 * on the classpath. With {@code vault.enabled=false} and a static username it is the plain
 * HikariCP baseline, so both pools are built by the same code from the same settings.
 * <p>
 * As a main class it is the startup benchmark: it reports when it is ready (context refreshed
 * and a first query answered) and exits.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class BenchApplication {

	public static void main(String[] args) throws Exception {
		long mainNanos = System.nanoTime();
		Instant main = Instant.now();
		long jvmToMain = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
		SpringApplication application = new SpringApplication(BenchApplication.class);
		// Only in the launches that break startup down: recording the steps costs time of its own.
		BufferingApplicationStartup steps = Boolean.getBoolean("bench.startup.breakdown")
				? new BufferingApplicationStartup(100_000) : null;
		if (steps != null) {
			application.setApplicationStartup(steps);
		}
		try (ConfigurableApplicationContext context = application.run(args)) {
			Instant refreshed = Instant.now();
			try (Connection connection = context.getBean(DataSource.class).getConnection();
					Statement statement = connection.createStatement()) {
				statement.execute("SELECT 1");
			}
			Instant ready = Instant.now();
			long uptime = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
			long cpu = (java.lang.management.ManagementFactory
				.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)
						? os.getProcessCpuTime() / 1_000_000 : -1;
			System.out.println("BENCH-READY jvm-uptime-ms=" + uptime + " main-to-ready-ms="
					+ (System.nanoTime() - mainNanos) / 1_000_000 + " cpu-ms=" + cpu + " ready-epoch-ms="
					+ ready.toEpochMilli());
			if (steps != null) {
				System.out.println(StartupBreakdown.describe(context, steps.getBufferedTimeline(), main, jvmToMain,
						refreshed, ready));
			}
		}
	}

	@Bean
	static MeterRegistry benchMeterRegistry() {
		return new SimpleMeterRegistry();
	}

	@Bean
	static BeanPostProcessor benchPoolMetrics(org.springframework.beans.factory.ObjectProvider<MeterRegistry> registry) {
		return new BeanPostProcessor() {

			@Override
			public Object postProcessBeforeInitialization(Object bean, String beanName) {
				if (bean instanceof HikariDataSource pool && pool.getMetricRegistry() == null
						&& pool.getMetricsTrackerFactory() == null) {
					pool.setMetricRegistry(registry.getObject());
				}
				return bean;
			}

		};
	}

	@Bean
	EventRecorder benchEventRecorder() {
		return new EventRecorder();
	}

	/**
	 * Return HikariCP's count of connection timeouts (a borrower waited longer than the connection
	 * timeout), or -1 when the pool has no such meter.
	 */
	static long connectionTimeouts(ConfigurableApplicationContext context) {
		Counter counter = context.getBean(MeterRegistry.class).find("hikaricp.connections.timeout").counter();
		return (counter != null) ? (long) counter.count() : -1;
	}

	/**
	 * Return how many physical connections HikariCP opened, and their mean time in milliseconds.
	 */
	static double[] connectionsCreated(ConfigurableApplicationContext context) {
		io.micrometer.core.instrument.Timer timer = context.getBean(MeterRegistry.class)
			.find("hikaricp.connections.creation")
			.timer();
		return (timer != null) ? new double[] { timer.count(), timer.mean(java.util.concurrent.TimeUnit.MILLISECONDS) }
				: new double[] { -1, -1 };
	}

	/**
	 * Records the library's events with the {@link System#nanoTime()} they arrived at.
	 */
	static final class EventRecorder implements ApplicationListener<VaultDataSourceEvent> {

		private final List<VaultDataSourceEvent> events = new CopyOnWriteArrayList<>();

		private final Map<VaultDataSourceEvent, Long> nanos = new ConcurrentHashMap<>();

		@Override
		public void onApplicationEvent(VaultDataSourceEvent event) {
			this.nanos.put(event, System.nanoTime());
			this.events.add(event);
		}

		<E extends VaultDataSourceEvent> List<E> all(Class<E> type) {
			return this.events.stream().filter(type::isInstance).map(type::cast).toList();
		}

		long nanosOf(VaultDataSourceEvent event) {
			return this.nanos.get(event);
		}

	}

}
