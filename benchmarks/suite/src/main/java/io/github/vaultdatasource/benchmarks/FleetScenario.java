package io.github.vaultdatasource.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.vaultdatasource.benchmarks.FleetSimulation.Outage;
import io.github.vaultdatasource.benchmarks.FleetSimulation.Result;
import io.github.vaultdatasource.benchmarks.FleetSimulation.Settings;

import static io.github.vaultdatasource.benchmarks.Report.f;
import static io.github.vaultdatasource.benchmarks.SuiteContext.progress;
import static io.github.vaultdatasource.benchmarks.SuiteContext.vaultTtl;

/**
 * The simulated fleet's Vault request rate ({@link FleetSimulation}) at each fleet size: a rolling
 * start, the same with a Vault outage in the middle of the window, and (for diagnosis) the same
 * without jitter and with instances at random phases. Needs no services: {@link #main} runs it
 * alone.
 */
final class FleetScenario {

	private final BenchSettings settings;

	private final Report report;

	FleetScenario(SuiteContext suite) {
		this(suite.settings(), suite.report());
	}

	FleetScenario(BenchSettings settings, Report report) {
		this.settings = settings;
		this.report = report;
	}

	/**
	 * Run the fleet scenario alone and print its rows: {@code BENCH_FLEET_*} settings apply.
	 * @param args none
	 */
	public static void main(String[] args) {
		BenchSettings settings = new BenchSettings();
		Report report = new Report();
		new FleetScenario(settings, report).run();
		report.printTable(System.out);
	}

	void run() {
		List<Integer> sizes = new ArrayList<>();
		for (String size : this.settings.string("fleet.instances", "1000,10000").split(",")) {
			sizes.add(Integer.parseInt(size.trim()));
		}
		Settings base = new Settings(sizes.get(0), this.settings.duration("fleet.ttl", "5m"),
				this.settings.duration("fleet.max-ttl", "1h"), this.settings.duration("fleet.start-spread", "5m"),
				this.settings.decimal("fleet.jitter", 0.1), this.settings.duration("fleet.window", "3h"), Duration.ZERO,
				Boolean.parseBoolean(this.settings.string("fleet.role-readable", "false")),
				this.settings.integer("fleet.seed", 7), FleetSimulation.Engine.LIBRARY);
		Duration outage = this.settings.duration("fleet.outage", "60s");
		boolean variants = Boolean.parseBoolean(this.settings.string("fleet.variants", "true"));
		quietLeaseLogging(true);
		Map<String, Object> raw = new LinkedHashMap<>();
		try {
			for (int instances : sizes) {
				Settings rolling = base.withInstances(instances);
				Map<String, Object> runs = new LinkedHashMap<>();
				Result steady = simulate(rolling);
				runs.put("rollingStart", steady.toMap());
				report(steady);
				if (!outage.isZero()) {
					Result down = simulate(rolling.withOutage(outage));
					runs.put("outage", down.toMap());
					runs.put("outageRequestsPerSecond", down.aroundOutage());
					reportOutage(down);
				}
				if (variants) {
					Result noJitter = simulate(rolling.withJitter(0));
					Result randomPhases = simulate(rolling.withStartSpread(rolling.maxTtl()));
					runs.put("rollingStartNoJitter", noJitter.toMap());
					runs.put("randomPhases", randomPhases.toMap());
					reportVariant(noJitter, "same start, no jitter");
					reportVariant(randomPhases, f("started over a whole max_ttl (%s): random phases",
							vaultTtl(rolling.maxTtl())));
				}
				raw.put(Integer.toString(instances), runs);
			}
		}
		finally {
			quietLeaseLogging(false);
		}
		this.report.raw("fleet", raw);
	}

	private static Result simulate(Settings settings) {
		Result result = new FleetSimulation(settings).run();
		progress(f("  fleet of %d (jitter %.2f, start over %s, outage %s): %d tasks in %.1f s, peak/mean %.2f, "
				+ "peak second %s", settings.instances(), settings.jitter(), vaultTtl(settings.startSpread()),
				vaultTtl(settings.outage()), result.tasks, result.seconds, result.peakToMean, result.peakSecond));
		return result;
	}

	private static String describe(Settings s) {
		return f("%s/%s leases, started over %s, jitter %.2f, %s steady window, 1 s buckets, %s", vaultTtl(s.ttl()),
				vaultTtl(s.maxTtl()), vaultTtl(s.startSpread()), s.jitter(), s.window().toHours() + "h",
				s.roleReadable() ? "max_ttl read from the role" : "max_ttl learned from the first capped renewal");
	}

	private void report(Result r) {
		int n = r.settings.instances();
		this.report.row("fleet", f("%,d instances: Vault requests per lease lifetime", n),
				f("%.2f", r.requestsPerLeaseLifetime()), f("simulated, whole run: %s", r.byKind), "", null);
		boolean large = n >= 10_000;
		boolean noWorseThanRandom = r.peakToMean <= r.baseline;
		this.report.row("fleet", f("%,d instances: peak/mean Vault requests per second", n),
				f("%.2f (mean %.2f/s, peak %d/s)", r.peakToMean, r.mean, r.peak),
				f("%s; random-arrival baseline %.2f; 60 s buckets %.2f (random %.2f)", describe(r.settings), r.baseline,
						r.peakToMean60s, r.baseline60s),
				large ? f("<= 2.0 and <= random (%.2f)", r.baseline) : f("<= random (%.2f)", r.baseline),
				large ? (r.peakToMean <= 2.0 && noWorseThanRandom) : noWorseThanRandom);
	}

	private void reportOutage(Result r) {
		Outage outage = r.outage;
		int n = r.settings.instances();
		double ratio = outage.peakAfterToMean(r.mean);
		this.report.row("fleet", f("%,d instances: %s Vault outage, peak in the minute after / mean", n,
				vaultTtl(r.settings.outage())),
				f("%.2f (peak %d/s, first second %d, mean %.2f/s)", ratio, outage.peakAfter(), outage.firstSecond(),
						r.mean),
				f("%s; every request fails from %d s to %d s; %d refused meanwhile; %d requests in the minute after; "
						+ "back within the steady peak %d s after", describe(r.settings), outage.down(), outage.up(),
						outage.refused(), outage.minuteAfter(), outage.calmAfter()),
				"<= 3", ratio <= 3);
	}

	private void reportVariant(Result r, String what) {
		this.report.row("fleet", f("%,d instances, %s: peak/mean", r.settings.instances(), what),
				f("%.2f (mean %.2f/s, peak %d/s)", r.peakToMean, r.mean, r.peak),
				f("diagnosis; random-arrival baseline %.2f; 60 s buckets %.2f (random %.2f)", r.baseline,
						r.peakToMean60s, r.baseline60s),
				"", null);
	}

	private static void quietLeaseLogging(boolean quiet) {
		Object logger = org.slf4j.LoggerFactory.getLogger("io.github.vaultdatasource.lease");
		if (logger instanceof ch.qos.logback.classic.Logger logback) {
			logback.setLevel(quiet ? ch.qos.logback.classic.Level.ERROR : null);
		}
	}

}
