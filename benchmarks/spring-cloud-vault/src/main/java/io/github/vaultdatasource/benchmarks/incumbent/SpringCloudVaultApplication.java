package io.github.vaultdatasource.benchmarks.incumbent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import io.github.vaultdatasource.benchmarks.load.QueryLoad;
import io.github.vaultdatasource.benchmarks.load.Samples;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.vault.core.lease.SecretLeaseContainer;
import org.springframework.vault.core.lease.event.SecretLeaseEvent;

/**
 * A Spring Boot application whose DataSource credentials come from Spring Cloud Vault's database
 * backend ({@code spring.config.import=vault://}), configured by the benchmark suite through
 * arguments and the environment. It runs the benchmark query load against its own pool for
 * {@code bench.seconds}, writes every query to {@code bench.samples-file} and the lease events
 * Spring Vault reports to {@code bench.events-file}, then exits.
 */
@SpringBootApplication
public class SpringCloudVaultApplication {

	public static void main(String[] args) {
		System.exit(SpringApplication.exit(SpringApplication.run(SpringCloudVaultApplication.class, args)));
	}

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
			synchronized (events) {
				lines.addAll(events);
			}
			write(eventsFile, lines);
			System.out.println("BENCH-DONE queries=" + samples.size() + " failed=" + samples.failures());
		};
	}

	private static void record(List<String> events, SecretLeaseEvent event, long originNanos) {
		String path = (event.getSource() != null) ? event.getSource().getPath() : "?";
		synchronized (events) {
			// Type and path only: a lease id or the secret itself never reaches the file.
			events.add("event " + (System.nanoTime() - originNanos) + " " + event.getClass().getSimpleName() + " "
					+ path);
		}
	}

	private static void write(Path file, List<String> lines) throws IOException {
		Files.write(file, lines, StandardCharsets.UTF_8);
	}

}
