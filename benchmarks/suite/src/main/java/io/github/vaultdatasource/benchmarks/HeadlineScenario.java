package io.github.vaultdatasource.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.github.vaultdatasource.RotationReason;
import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.lease.ManagedLeases;

import static io.github.vaultdatasource.benchmarks.Report.f;
import static io.github.vaultdatasource.benchmarks.SuiteContext.progress;

/**
 * The headline rotation run: realistic leases (1 h by default), so the library would not rotate
 * on its own during the run, and rotations forced through its own API
 * ({@link LeaseLifecycle#rotateNow} of each lease in {@link ManagedLeases}) at a steady interval
 * under the full load, repeated in several runs, each a fresh application.
 */
final class HeadlineScenario {

	/** What counts as a slow query in the by-step counts. */
	static final double SLOW_MILLIS = 100;

	private final SuiteContext suite;

	HeadlineScenario(SuiteContext suite) {
		this.suite = suite;
	}

	void run() throws Exception {
		BenchSettings settings = this.suite.settings();
		int workers = settings.integer("rotation.workers", 32);
		int runs = settings.integer("headline.runs", 3);
		int target = settings.integer("headline.rotations", 20);
		Duration interval = settings.duration("headline.interval", "10s");
		Duration ttl = settings.duration("headline.ttl", "1h");
		Duration maxTtl = settings.duration("headline.max-ttl", "24h");
		Duration warmup = settings.duration("headline.warmup", "4s");
		String extra = settings.string("headline.properties", "");
		String role = "bench-headline";
		this.suite.env().createRole(role, ttl, maxTtl);
		List<RotationRun> results = new ArrayList<>();
		for (int r = 0; r < runs; r++) {
			Map<String, Object> properties = this.suite.vaultProperties("headline", role);
			properties.putAll(RotationScenario.parseProperties(extra));
			RotationRun run = RotationScenario.runUnderLoad(this.suite, properties, workers, warmup,
					(events, origin, context) -> {
						ManagedLeases leases = context.getBean(ManagedLeases.class);
						long first = origin + warmup.toNanos();
						for (int i = 0; i < target; i++) {
							sleepUntil(first + i * interval.toNanos());
							leases.all().forEach((lease) -> lease.rotateNow(RotationReason.FORCED));
						}
						// Wait for the last rotation, then one more interval of steady load, so the
						// last rotation has a control window after it like every other.
						long deadline = System.nanoTime() + 60_000_000_000L;
						while (RotationScenario.countAfter(events, first - 1) < target && System.nanoTime() < deadline) {
							Thread.sleep(100);
						}
						Thread.sleep(interval.toMillis());
					});
			results.add(run);
			RotationAnalysis a = run.analyse(true);
			progress(f("  headline run %d: %d rotations, %d failed, p99 in/out %.2f, slowest in paired rotations %.1f ms, "
					+ "in as many controls %.1f ms", r + 1, run.rotations().size(), run.samples().failures(), a.p99In / a.p99Out,
					a.maxInPaired, a.maxControl));
			progress(f("    queries over %.0f ms per second: ", SLOW_MILLIS)
					+ RotationPhases.describe(RotationPhases.count(run, a, SLOW_MILLIS)));
			RotationPhases.failures(run, RotationScenario.MAX_FAILURES_LOGGED).forEach((line) -> progress("    " + line));
		}
		new RotationReport(this.suite).headline(results, workers, ttl, maxTtl, interval);
	}

	private static void sleepUntil(long nanos) throws InterruptedException {
		long wait = nanos - System.nanoTime();
		if (wait > 0) {
			Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
		}
	}

}
