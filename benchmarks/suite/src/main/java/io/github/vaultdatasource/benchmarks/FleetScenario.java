package io.github.vaultdatasource.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

import io.github.vaultdatasource.benchmarks.FleetSimulation.Result;
import io.github.vaultdatasource.benchmarks.FleetSimulation.Settings;
import io.github.vaultdatasource.benchmarks.load.Stats;

import static io.github.vaultdatasource.benchmarks.Report.f;
import static io.github.vaultdatasource.benchmarks.SuiteContext.progress;
import static io.github.vaultdatasource.benchmarks.SuiteContext.vaultTtl;

/**
 * The simulated fleet's Vault request rate ({@link FleetSimulation}) at each fleet size: a rolling
 * start, the same with a Vault outage in the middle of the window, each over several seeds; for
 * diagnosis, the same without jitter and with instances started over a whole {@code max_ttl}.
 * Every instance runs the library's own lease engine. Needs no services: {@link #main} runs it
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
	 * Run the fleet scenario alone, print its rows and write its raw figures to
	 * {@code fleet-latest.json} in {@code BENCH_RESULTS_DIR} ({@code benchmarks/results}):
	 * {@code BENCH_FLEET_*} settings apply.
	 * @param args none
	 * @throws IOException if the JSON cannot be written
	 */
	public static void main(String[] args) throws IOException {
		BenchSettings settings = new BenchSettings();
		Report report = new Report();
		long started = System.nanoTime();
		new FleetScenario(settings, report).run();
		report.raw("settings", settings.used());
		report.raw("suiteSeconds", (System.nanoTime() - started) / 1e9);
		Path results = Path.of(settings.string("results-dir", "benchmarks/results"));
		Files.createDirectories(results);
		report.writeJson(results.resolve("fleet-latest.json"));
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
				this.settings.integer("fleet.seed", 7));
		int seeds = this.settings.integer("fleet.seeds", 9);
		Duration outage = this.settings.duration("fleet.outage", "60s");
		boolean variants = Boolean.parseBoolean(this.settings.string("fleet.variants", "true"));
		quietLeaseLogging(true);
		Map<String, Object> raw = new LinkedHashMap<>();
		try {
			for (int instances : sizes) {
				Settings rolling = base.withInstances(instances);
				Map<String, Object> runs = new LinkedHashMap<>();
				List<Result> steady = simulate(rolling, seeds);
				runs.put("rollingStart", maps(steady));
				report(steady);
				reportDiagnosis(steady.get(0));
				if (!outage.isZero()) {
					List<Result> down = simulate(rolling.withOutage(outage), seeds);
					runs.put("outage", maps(down));
					runs.put("outageRequestsPerSecond", down.get(0).aroundOutage());
					reportOutage(down);
				}
				if (variants) {
					Result noJitter = simulate(rolling.withJitter(0), 1).get(0);
					Result randomPhases = simulate(rolling.withStartSpread(rolling.maxTtl()), 1).get(0);
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

	// The same fleet with as many seeds, from the configured one on.
	private static List<Result> simulate(Settings settings, int seeds) {
		List<Result> results = new ArrayList<>();
		for (int i = 0; i < seeds; i++) {
			Settings seeded = settings.withSeed(settings.seed() + i);
			Result result = new FleetSimulation(seeded).run();
			String jitter = f(", jitter %.2f", seeded.jitter());
			progress(f("  fleet of %d%s (start over %s, outage %s, seed %d): %d tasks in %.1f s, peak/mean %.2f, "
					+ "peak second %s", seeded.instances(), jitter, vaultTtl(seeded.startSpread()),
					vaultTtl(seeded.outage()), seeded.seed(), result.tasks, result.seconds, result.peakToMean,
					result.peakSecond));
			results.add(result);
		}
		return results;
	}

	private static List<Map<String, Object>> maps(List<Result> results) {
		return results.stream().map(Result::toMap).toList();
	}

	private static double median(List<Result> results, ToDoubleFunction<Result> figure) {
		return Stats.median(results.stream().mapToDouble(figure).toArray());
	}

	private static String range(List<Result> results, ToDoubleFunction<Result> figure) {
		double[] values = results.stream().mapToDouble(figure).toArray();
		return (values.length == 1) ? "1 seed" : f("%d seeds, %.2f–%.2f", values.length, Stats.min(values),
				Stats.max(values));
	}

	// Where each seed's peak falls among the peaks of random arrivals: 0.50 is chance's median.
	private static String shares(List<Result> results) {
		return String.join(", ", results.stream().map((r) -> f("%.2f", r.chanceBelow)).toList());
	}

	private static String describe(Settings s) {
		return f("%s/%s leases, started over %s, jitter %.2f, %s steady window, 1 s buckets, %s", vaultTtl(s.ttl()),
				vaultTtl(s.maxTtl()), vaultTtl(s.startSpread()), s.jitter(), s.window().toHours() + "h",
				s.roleReadable() ? "max_ttl read from the role" : "max_ttl learned from the first capped renewal");
	}

	private void report(List<Result> results) {
		Result first = results.get(0);
		int n = first.settings.instances();
		this.report.row("fleet", f("%,d instances: Vault requests per lease lifetime", n),
				f("%.2f", first.requestsPerLeaseLifetime()), f("simulated, whole run, seed %d: %s",
						first.settings.seed(), first.byKind),
				"", null);
		double ratio = median(results, (r) -> r.peakToMean);
		double baseline = median(results, (r) -> r.baseline);
		boolean large = n >= 10_000;
		// No worse than random: the seeds' median peak at or under the median peak of random arrivals
		// at the same mean, compared seed by seed (each seed's mean differs a little, so the medians
		// of the ratios can differ in the fourth decimal for the same peaks).
		double share = median(results, (r) -> r.chanceBelow);
		boolean noWorseThanRandom = share <= 0.5;
		this.report.row("fleet", f("%,d instances: peak/mean Vault requests per second (median of seeds)", n),
				f("%.2f (mean %.2f/s, peak %d/s)", ratio, first.mean, first.peak),
				f("%s; %s; random-arrival baseline %.2f (95th percentile %.2f; with each rotation's issue and revoke "
						+ "in one second %.2f; share of random draws that peak lower, by seed: %s); 60 s buckets %.2f "
						+ "(random %.2f)", range(results, (r) -> r.peakToMean), describe(first.settings), baseline,
						median(results, (r) -> r.baselineHigh), median(results, (r) -> r.baselinePaired),
						shares(results), median(results, (r) -> r.peakToMean60s), median(results, (r) -> r.baseline60s)),
				large ? f("<= 2.0 and random or better (%.2f; median share below <= 0.50: %.2f)", baseline, share)
						: f("random or better (%.2f; median share below <= 0.50: %.2f)", baseline, share),
				large ? (ratio <= 2.0 && noWorseThanRandom) : noWorseThanRandom);
	}

	// What makes the peaks: whether any kind of request bunches (index of dispersion above 1), and
	// whether a rotation's issue and revoke fall in the same second.
	private void reportDiagnosis(Result r) {
		StringBuilder kinds = new StringBuilder();
		r.dispersion.forEach((kind, value) -> {
			if (!kind.equals("all") && value > 0) {
				kinds.append((kinds.length() > 0) ? ", " : "").append(f("%s %.2f", kind, value));
			}
		});
		this.report.row("fleet", f("%,d instances: index of dispersion of requests per second", r.settings.instances()),
				f("%.2f", r.dispersion.get("all")),
				f("diagnosis, seed %d, 1 = random arrival; by kind: %s; correlation of issues and revokes per second "
						+ "%.2f (1 = in the same second); peak second %s", r.settings.seed(), kinds,
						r.issueRevokeCorrelation, r.peakSecond),
				"", null);
	}

	private void reportOutage(List<Result> results) {
		Result first = results.get(0);
		int n = first.settings.instances();
		double ratio = median(results, (r) -> r.outage.peakAfterToMean(r.mean));
		String what = f("%,d instances, %s Vault outage: peak in the minute after / mean (median of seeds)", n,
				vaultTtl(first.settings.outage()));
		String detail = f("%s; every request fails from %d s to %d s; seed %d: peak %d/s (%d s after), first second "
				+ "%d, mean %.2f/s, %d refused meanwhile, %d requests in the minute after, back within the steady "
				+ "peak %d s after; a quiet minute of random arrivals peaks at %.2f × the mean",
				range(results, (r) -> r.outage.peakAfterToMean(r.mean)), first.outage.down(), first.outage.up(),
				first.settings.seed(), first.outage.peakAfter(), first.outage.peakAfterByKind().get("second")
						- first.outage.up(),
				first.outage.firstSecond(), first.mean, first.outage.refused(), first.outage.minuteAfter(),
				first.outage.calmAfter(), first.outage.quietMinute());
		this.report.row("fleet", what, f("%.2f", ratio), describe(first.settings) + "; " + detail, "<= 3", ratio <= 3);
	}

	private void reportVariant(Result r, String what) {
		this.report.row("fleet", f("%,d instances, %s: peak/mean", r.settings.instances(), what),
				f("%.2f (mean %.2f/s, peak %d/s)", r.peakToMean, r.mean, r.peak),
				f("diagnosis, seed %d; random-arrival baseline %.2f; 60 s buckets %.2f (random %.2f)", r.settings.seed(),
						r.baseline, r.peakToMean60s, r.baseline60s),
				"", null);
	}

	private static void quietLeaseLogging(boolean quiet) {
		for (String name : List.of("io.github.vaultdatasource.lease")) {
			Object logger = org.slf4j.LoggerFactory.getLogger(name);
			if (logger instanceof ch.qos.logback.classic.Logger logback) {
				logback.setLevel(quiet ? ch.qos.logback.classic.Level.ERROR : null);
			}
		}
	}

}
