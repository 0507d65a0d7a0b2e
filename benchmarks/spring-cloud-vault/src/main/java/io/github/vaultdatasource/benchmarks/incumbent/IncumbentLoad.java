package io.github.vaultdatasource.benchmarks.incumbent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import io.github.vaultdatasource.benchmarks.load.QueryLoad;
import io.github.vaultdatasource.benchmarks.load.Samples;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.vault.core.lease.SecretLeaseContainer;
import org.springframework.vault.core.lease.event.SecretLeaseEvent;

/**
 * The benchmark's side of every incumbent application: once the application is up, it runs the
 * benchmark query load against the application's {@link DataSource} for {@code bench.seconds},
 * writes every query to {@code bench.samples-file} and, to {@code bench.events-file}, the lease
 * events Spring Vault reported and the HikariCP pools still alive at the end, then lets the
 * application exit. Imported by each incumbent application; the applications differ only in how
 * they build and refresh their pool.
 */
@Configuration(proxyBeanMethods = false)
public class IncumbentLoad {

	private static final Pattern POOL_THREAD = Pattern.compile("(.+)[: ]housekeeper");

	@Bean
	ApplicationRunner benchmarkLoad(DataSource dataSource, Environment environment,
			ObjectProvider<SecretLeaseContainer> leaseContainers) {
		return (ApplicationArguments arguments) -> {
			int workers = environment.getRequiredProperty("bench.workers", Integer.class);
			Duration duration = Duration.ofSeconds(environment.getRequiredProperty("bench.seconds", Long.class));
			Path samplesFile = Path.of(environment.getRequiredProperty("bench.samples-file"));
			Path eventsFile = Path.of(environment.getRequiredProperty("bench.events-file"));
			long originNanos = System.nanoTime();
			long originEpochMillis = System.currentTimeMillis();
			List<String> events = new ArrayList<>();
			leaseContainers.ifAvailable((container) -> container.addLeaseListener((event) -> record(events, event,
					originNanos)));
			System.out.println("BENCH-READY " + originEpochMillis);
			QueryLoad load = QueryLoad.start(dataSource, workers, originNanos);
			Thread.sleep(duration.toMillis());
			Samples samples = load.stop();
			samples.write(samplesFile);
			List<String> lines = new ArrayList<>();
			lines.add("origin-epoch-millis " + originEpochMillis);
			lines.add("lease-container " + (leaseContainers.getIfAvailable() != null));
			Set<String> pools = livePools();
			lines.add("hikari-pools-alive " + pools.size() + " " + String.join(" ", pools));
			lines.add("threads-alive " + Thread.getAllStackTraces().size());
			synchronized (events) {
				lines.addAll(events);
			}
			write(eventsFile, lines);
			System.out.println("BENCH-DONE queries=" + samples.size() + " failed=" + samples.failures());
		};
	}

	/**
	 * Return the names of the HikariCP pools whose housekeeper thread still runs: one per pool that
	 * was started and never closed.
	 */
	private static Set<String> livePools() {
		Set<String> pools = new TreeSet<>();
		for (Thread thread : Thread.getAllStackTraces().keySet()) {
			Matcher matcher = POOL_THREAD.matcher(thread.getName());
			if (thread.isAlive() && matcher.matches()) {
				pools.add(matcher.group(1).replace(' ', '_'));
			}
		}
		return pools;
	}

	private static void record(List<String> events, SecretLeaseEvent event, long originNanos) {
		String path = (event.getSource() != null) ? event.getSource().getPath() : "?";
		String mode = (event.getSource() != null) ? event.getSource().getMode().toString() : "?";
		synchronized (events) {
			// Type, path and mode only: a lease id or the secret itself never reaches the file.
			events.add("event " + (System.nanoTime() - originNanos) + " " + event.getClass().getSimpleName() + " "
					+ path + " " + mode);
		}
	}

	private static void write(Path file, List<String> lines) throws IOException {
		Files.write(file, lines, StandardCharsets.UTF_8);
	}

}
