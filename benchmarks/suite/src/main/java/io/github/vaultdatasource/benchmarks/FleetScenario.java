package io.github.vaultdatasource.benchmarks;

import java.time.Duration;
import java.util.Map;

import static io.github.vaultdatasource.benchmarks.Report.f;
import static io.github.vaultdatasource.benchmarks.SuiteContext.vaultTtl;

/**
 * The simulated fleet's Vault request rate ({@link FleetSimulation}), in three variants: a rolling
 * start with jitter, the same without jitter, and instances at random phases.
 */
final class FleetScenario {

	private final SuiteContext suite;

	FleetScenario(SuiteContext suite) {
		this.suite = suite;
	}

	void run() {
		BenchSettings settings = this.suite.settings();
		Report report = this.suite.report();
		int instances = settings.integer("fleet.instances", 1000);
		Duration ttl = settings.duration("fleet.ttl", "5m");
		Duration maxTtl = settings.duration("fleet.max-ttl", "1h");
		Duration spread = settings.duration("fleet.start-spread", "5m");
		Duration window = settings.duration("fleet.window", "3h");
		long seed = settings.integer("fleet.seed", 7);
		double jitter = settings.decimal("fleet.jitter", 0.1);
		quietLeaseLogging(true);
		try {
			Map<String, Object> rolling = new FleetSimulation(instances, ttl, maxTtl, spread, jitter, window, seed).run();
			Map<String, Object> noJitter = new FleetSimulation(instances, ttl, maxTtl, spread, 0, window, seed).run();
			Map<String, Object> randomPhases = new FleetSimulation(instances, ttl, maxTtl, maxTtl, jitter, window, seed)
				.run();
			String runs = f("%d instances, %s/%s leases, %s steady window, 1 s buckets", instances, vaultTtl(ttl),
					vaultTtl(maxTtl), window.toHours() + "h");
			double ratio = (double) rolling.get("peakToMean1s");
			report.row("vault requests", "fleet requests per lease lifetime (simulated)",
					f("%.2f", (double) rolling.get("requestsPerLeaseLifetime")), runs, "", null);
			report.row("vault requests",
					f("fleet peak/mean req/s, started over %ss, jitter %.2f", spread.toSeconds(), jitter),
					f("%.2f (mean %.2f/s, peak %d/s)", ratio, (double) rolling.get("meanPerSecond"),
							(long) rolling.get("peakPerSecond")),
					f("%s; random-arrival baseline %.2f; 60 s buckets %.2f", runs,
							(double) rolling.get("poissonPeakToMean1s"), (double) rolling.get("peakToMean60s")),
					"<= 2", ratio <= 2);
			report.row("vault requests", "fleet peak/mean req/s, same start, no jitter",
					f("%.2f", (double) noJitter.get("peakToMean1s")),
					f("%s; 60 s buckets %.2f", runs, (double) noJitter.get("peakToMean60s")), "", null);
			report.row("vault requests", "fleet peak/mean req/s, instances at random phases",
					f("%.2f", (double) randomPhases.get("peakToMean1s")),
					f("%s; random-arrival baseline %.2f; 60 s buckets %.2f", runs,
							(double) randomPhases.get("poissonPeakToMean1s"), (double) randomPhases.get("peakToMean60s")),
					"", null);
			report.raw("fleet",
					Map.of("rollingStart", rolling, "rollingStartNoJitter", noJitter, "randomPhases", randomPhases));
		}
		finally {
			quietLeaseLogging(false);
		}
	}

	private static void quietLeaseLogging(boolean quiet) {
		Object logger = org.slf4j.LoggerFactory.getLogger("io.github.vaultdatasource.lease");
		if (logger instanceof ch.qos.logback.classic.Logger logback) {
			logback.setLevel(quiet ? ch.qos.logback.classic.Level.WARN : null);
		}
	}

}
