package io.github.vaultdatasource.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import io.github.vaultdatasource.benchmarks.BenchApplication.EventRecorder;
import io.github.vaultdatasource.benchmarks.load.QueryLoad;
import io.github.vaultdatasource.benchmarks.load.Samples;
import io.github.vaultdatasource.event.CredentialsIssuedEvent;
import io.github.vaultdatasource.event.CredentialsRotatedEvent;
import io.github.vaultdatasource.event.LeaseFailureEvent;
import io.github.vaultdatasource.event.LeaseRenewedEvent;
import io.github.vaultdatasource.event.LeaseRevokedEvent;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * The stress test: vault-datasource under load on leases so short (3 s / 6 s by default) that the
 * library rotates on its own every few seconds; counts failed queries, connection timeouts and
 * latency in and out of rotations.
 */
final class RotationScenario {

	/** Failed queries described one by one in the log, at most. */
	static final int MAX_FAILURES_LOGGED = 10;

	private final SuiteContext suite;

	RotationScenario(SuiteContext suite) {
		this.suite = suite;
	}

	void run() throws Exception {
		BenchSettings settings = this.suite.settings();
		int workers = settings.integer("rotation.workers", 32);
		int target = settings.integer("rotation.rotations", 20);
		Duration ttl = settings.duration("rotation.ttl", "3s");
		Duration maxTtl = settings.duration("rotation.max-ttl", "6s");
		Duration warmup = settings.duration("rotation.warmup", "4s");
		Duration limit = settings.duration("rotation.limit", "240s");
		String role = "bench-rotation";
		this.suite.env().createRole(role, ttl, maxTtl);
		// For experiments, such as vault.rotation.surge=false: extra properties as name=value;name=value.
		String extra = settings.string("rotation.properties", "");
		Map<String, Object> properties = this.suite.vaultProperties("rotation", role);
		properties.putAll(parseProperties(extra));
		RotationRun run = runUnderLoad(this.suite, properties, workers, warmup, (events, origin, context) -> {
			long deadline = origin + limit.toNanos();
			while (System.nanoTime() < deadline && countAfter(events, origin + warmup.toNanos()) < target) {
				Thread.sleep(200);
			}
			// One more second of steady load after the last counted rotation.
			Thread.sleep(1000);
		});
		RotationPhases.failures(run, MAX_FAILURES_LOGGED).forEach((line) -> SuiteContext.progress("  " + line));
		new RotationReport(this.suite).stress(run, run.analyse(false), workers, ttl, maxTtl, extra);
	}

	static Map<String, Object> parseProperties(String extra) {
		Map<String, Object> properties = new LinkedHashMap<>();
		for (String pair : extra.split(";")) {
			if (pair.contains("=")) {
				properties.put(pair.substring(0, pair.indexOf('=')).trim(), pair.substring(pair.indexOf('=') + 1).trim());
			}
		}
		return properties;
	}

	/**
	 * Start the application, run the load on its pool while {@code driver} decides how long (and
	 * perhaps forces rotations), then collect what the run produced.
	 */
	static RotationRun runUnderLoad(SuiteContext suite, Map<String, Object> properties, int workers, Duration warmup,
			LoadDriver driver) throws Exception {
		Instant countFrom = Instant.now();
		long measuredFrom = warmup.toNanos();
		try (ConfigurableApplicationContext vault = SuiteContext.start(properties)) {
			EventRecorder events = vault.getBean(EventRecorder.class);
			long origin = System.nanoTime();
			QueryLoad load = QueryLoad.start(vault.getBean(DataSource.class), workers, origin);
			driver.drive(events, origin, vault);
			Samples samples = load.stop();
			long timeouts = BenchApplication.connectionTimeouts(vault);
			double[] created = BenchApplication.connectionsCreated(vault);
			int allRotations = events.all(CredentialsRotatedEvent.class).size();
			List<RotationTimings> rotations = events.all(CredentialsRotatedEvent.class)
				.stream()
				.filter((event) -> events.nanosOf(event) - origin > measuredFrom)
				.map((event) -> RotationTimings.of(event, events.nanosOf(event) - origin))
				.toList();
			Map<String, Long> eventCounts = new LinkedHashMap<>();
			eventCounts.put("issued", (long) events.all(CredentialsIssuedEvent.class).size());
			eventCounts.put("renewed", (long) events.all(LeaseRenewedEvent.class).size());
			eventCounts.put("revoked", (long) events.all(LeaseRevokedEvent.class).size());
			eventCounts.put("failed", (long) events.all(LeaseFailureEvent.class).size());
			vault.close();
			return new RotationRun(samples, measuredFrom, rotations, allRotations, timeouts, created, eventCounts,
					suite.vaultRequests().since(countFrom));
		}
	}

	static long countAfter(EventRecorder events, long fromNanos) {
		return events.all(CredentialsRotatedEvent.class)
			.stream()
			.filter((event) -> events.nanosOf(event) > fromNanos)
			.count();
	}

	/**
	 * Decides how long the load runs, while it runs.
	 */
	@FunctionalInterface
	interface LoadDriver {

		void drive(EventRecorder events, long originNanos, ConfigurableApplicationContext context) throws Exception;

	}

}
