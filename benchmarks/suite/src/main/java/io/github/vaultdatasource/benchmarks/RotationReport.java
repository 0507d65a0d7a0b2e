package io.github.vaultdatasource.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import io.github.vaultdatasource.benchmarks.load.Samples;
import io.github.vaultdatasource.benchmarks.load.Stats;

import static io.github.vaultdatasource.benchmarks.Report.f;
import static io.github.vaultdatasource.benchmarks.SuiteContext.vaultTtl;

/**
 * Turns runs of vault-datasource under load, and their analysis, into table rows, JSON and plot
 * panels.
 */
final class RotationReport {

	private static final String TIMINGS_FIGURE = "per rotation: issue / validation / surge ready (evict) / drained / "
			+ "revoked, total (ms); then the wait before the revocation, not in the total (ms)";

	private final SuiteContext suite;

	private final Report report;

	RotationReport(SuiteContext suite) {
		this.suite = suite;
		this.report = suite.report();
	}

	/**
	 * Report the stress run: short leases, the library rotating on its own.
	 */
	void stress(RotationRun run, RotationAnalysis a, int workers, Duration ttl, Duration maxTtl, String extra) {
		Samples samples = run.samples();
		List<RotationTimings> rotations = run.rotations();
		long failed = samples.failures((start) -> true);
		long queries = samples.count((start) -> start >= run.measuredFrom());
		String runs = f("1 run, %d workers, %s/%s leases, %d rotations, %.0f s measured", workers, vaultTtl(ttl),
				vaultTtl(maxTtl), rotations.size(), (a.measuredTo - a.measuredFrom) / 1e9);
		this.report.row("rotation", "rotations measured", Integer.toString(rotations.size()), runs, ">= 20",
				rotations.size() >= 20);
		this.report.row("rotation", "failed queries (all, incl. warm-up)",
				f("%d of %d %s", failed, samples.size(), samples.failuresByState()), runs, "0", failed == 0);
		this.report.row("rotation", "hikaricp.connections.timeout", Long.toString(run.connectionTimeouts()), runs, "0",
				run.connectionTimeouts() == 0);
		this.report.row("rotation", "p50 / p99 / max outside rotations (ms)",
				f("%.2f / %.2f / %.1f", a.p50Out, a.p99Out, a.maxOut), f("%d queries outside windows", a.outsideQueries),
				"", null);
		this.report.row("rotation", "p50 / p99 / max inside rotations (ms)",
				f("%.2f / %.2f / %.1f", a.p50In, a.p99In, a.maxIn), f("%d queries in %d windows, %.1f s in all",
						a.insideQueries, a.inRotation.size(), a.inRotation.totalNanos() / 1e9),
				"", null);
		this.report.row("rotation", "control: same-length windows between rotations, p99 / steady p99",
				f("%.2f", a.p99Control / a.p99Out), f("%d windows; slowest / steady p99 %.2f, per window %.2f–%.2f",
						a.control.size(), a.maxControl / a.p99Out, Stats.min(a.controlMax), Stats.max(a.controlMax)),
				"", null);
		this.report.row("rotation", "p99 inside / p99 outside", f("%.2f", a.p99In / a.p99Out),
				f("%s; per rotation %.2f–%.2f, median %.2f", runs, Stats.min(a.windowP99), Stats.max(a.windowP99),
						Stats.median(a.windowP99)),
				"<= 1.2", a.p99In / a.p99Out <= 1.2);
		this.report.row("rotation", "slowest query in a rotation / steady p99", f("%.2f", a.maxIn / a.p99Out),
				f("%s; per rotation %.2f–%.2f, median %.2f", runs, Stats.min(a.windowMax), Stats.max(a.windowMax),
						Stats.median(a.windowMax)),
				"<= 3", a.maxIn / a.p99Out <= 3);
		this.report.row("rotation", TIMINGS_FIGURE, timings(rotations, Stats::median),
				f("median of %d rotations; max %s", rotations.size(), timings(rotations, Stats::max)), "", null);
		double[] created = run.connectionsCreated();
		this.report.row("rotation", "connections opened by HikariCP, per rotation",
				f("%.1f", (created[0] - this.suite.poolSize()) / Math.max(1, run.allRotations())),
				f("%.0f in the run over %d rotations (incl. warm-up), mean %.1f ms each", created[0], run.allRotations(),
						created[1]),
				"", null);
		long oldLeft = rotations.stream().mapToLong(RotationTimings::oldConnectionsLeft).sum();
		this.report.row("rotation", "old connections left at drain deadline", Long.toString(oldLeft),
				f("%d rotations", rotations.size()), "0", oldLeft == 0);
		Map<String, Long> byKind = VaultRequestCounter.countByKind(run.requests());
		long issues = byKind.getOrDefault("issue", 0L);
		long total = run.requests().size();
		this.report.row("vault requests", "vault-datasource: requests per lease lifetime",
				f("%.2f", (double) total / issues),
				f("counted on the wire, %d leases, start to shutdown: %s", issues, byKind), "", null);
		Map<String, Object> raw = new LinkedHashMap<>();
		raw.put("workers", workers);
		raw.put("ttl", vaultTtl(ttl));
		raw.put("maxTtl", vaultTtl(maxTtl));
		raw.put("warmupSeconds", run.measuredFrom() / 1_000_000_000L);
		raw.put("queries", samples.size());
		raw.put("queriesMeasured", queries);
		raw.put("failedQueries", failed);
		raw.put("failuresByState", samples.failuresByState());
		raw.put("connectionTimeouts", run.connectionTimeouts());
		raw.put("connectionsCreated", created[0]);
		raw.put("connectionCreationMeanMillis", created[1]);
		raw.put("usersServed", samples.users().size());
		raw.put("inside", Map.of("queries", a.insideQueries, "p50Millis", a.p50In, "p99Millis", a.p99In, "maxMillis",
				a.maxIn));
		raw.put("outside", Map.of("queries", a.outsideQueries, "p50Millis", a.p50Out, "p99Millis", a.p99Out,
				"maxMillis", a.maxOut));
		raw.put("p99InsideOverOutside", a.p99In / a.p99Out);
		raw.put("maxInsideOverSteadyP99", a.maxIn / a.p99Out);
		raw.put("rotations", rotations.stream().map(RotationTimings::toMap).toList());
		raw.put("p99PerRotationOverSteadyP99", a.windowP99);
		raw.put("maxPerRotationOverSteadyP99", a.windowMax);
		raw.put("extraProperties", extra);
		raw.put("control", Map.of("windows", a.control.size(), "p99Millis", a.p99Control, "maxMillis", a.maxControl,
				"maxPerWindowOverSteadyP99", a.controlMax));
		raw.put("events", run.eventCounts());
		raw.put("vaultRequests", byKind);
		raw.put("vaultRequestsPerLease", (double) total / issues);
		raw.put("latencyBySecond", LatencySeries.bySecond(samples));
		this.report.raw("rotationUnderLoad", raw);
		this.suite.panels()
			.add(new LatencyPlot.Panel(f("vault-datasource: %d workers, %s/%s leases, %d rotations, %d failed "
					+ "queries (shaded: rotation issue→revoke)", workers, vaultTtl(ttl), vaultTtl(maxTtl),
					rotations.size(), failed), samples, a.inRotation, List.of(), run.measuredFrom(), Long.MAX_VALUE));
		closeUp(run, a);
	}

	/**
	 * Report the headline runs: realistic leases, rotations forced at a steady interval; each
	 * figure the median of the runs, with their spread.
	 */
	void headline(List<RotationRun> runs, int workers, Duration ttl, Duration maxTtl, Duration interval) {
		int n = runs.size();
		List<RotationAnalysis> analyses = runs.stream().map((run) -> run.analyse(true)).toList();
		double[] p99Ratio = new double[n];
		double[] slowestRatio = new double[n];
		double[] slowestIn = new double[n];
		double[] slowestControl = new double[n];
		double[] p99Out = new double[n];
		double[] p99In = new double[n];
		long failed = 0;
		long queries = 0;
		long timeouts = 0;
		long oldLeft = 0;
		int rotationCount = 0;
		int controlCount = 0;
		List<RotationTimings> all = new ArrayList<>();
		Map<String, Long> states = new java.util.TreeMap<>();
		for (int r = 0; r < n; r++) {
			RotationRun run = runs.get(r);
			RotationAnalysis a = analyses.get(r);
			p99In[r] = a.p99In;
			p99Out[r] = a.p99Out;
			p99Ratio[r] = a.p99In / a.p99Out;
			slowestIn[r] = a.maxInPaired;
			slowestControl[r] = a.maxControl;
			slowestRatio[r] = a.maxInPaired / a.maxControl;
			failed += run.samples().failures();
			queries += run.samples().size();
			timeouts += run.connectionTimeouts();
			rotationCount += run.rotations().size();
			controlCount += a.control.size();
			all.addAll(run.rotations());
			oldLeft += run.rotations().stream().mapToLong(RotationTimings::oldConnectionsLeft).sum();
			run.samples().failuresByState().forEach((state, count) -> states.merge(state, count, Long::sum));
		}
		String spread = f("median of %d runs, %d workers, %s/%s leases, a rotation forced every %ss; min–max", n,
				workers, vaultTtl(ttl), vaultTtl(maxTtl), interval.toSeconds());
		this.report.row("headline", "rotations forced and completed", f("%d", rotationCount),
				f("%d runs; per run %s", n, runs.stream().map((run) -> run.rotations().size()).toList()),
				f(">= 20 per run"), runs.stream().allMatch((run) -> run.rotations().size() >= 20));
		this.report.row("headline", "failed queries", f("%d of %d %s", failed, queries, states),
				f("%d runs, warm-up included", n), "0", failed == 0);
		this.report.row("headline", "hikaricp.connections.timeout", Long.toString(timeouts), f("%d runs", n), "0",
				timeouts == 0);
		this.report.row("headline", "p99 outside / inside rotations (ms)",
				f("%.2f / %.2f", Stats.median(p99Out), Stats.median(p99In)),
				f("%s %.2f–%.2f / %.2f–%.2f", spread, Stats.min(p99Out), Stats.max(p99Out), Stats.min(p99In),
						Stats.max(p99In)),
				"", null);
		double p99 = Stats.median(p99Ratio);
		this.report.row("headline", "p99 inside / p99 outside rotations", f("%.2f", p99),
				f("%s %.2f–%.2f", spread, Stats.min(p99Ratio), Stats.max(p99Ratio)), "<= 1.15", p99 <= 1.15);
		this.report.row("headline", "slowest query: rotation windows / as many same-length control windows (ms)",
				f("%.1f / %.1f", Stats.median(slowestIn), Stats.median(slowestControl)),
				f("%s %.1f–%.1f / %.1f–%.1f; %d control windows in all, each paired with the rotation before it "
						+ "(%d rotations; a rotation whose gap was too short for a control window is left out)", spread,
						Stats.min(slowestIn), Stats.max(slowestIn), Stats.min(slowestControl), Stats.max(slowestControl),
						controlCount, rotationCount),
				"", null);
		double slowest = Stats.median(slowestRatio);
		this.report.row("headline", "slowest in rotation windows / slowest in control windows", f("%.2f", slowest),
				f("%s %.2f–%.2f", spread, Stats.min(slowestRatio), Stats.max(slowestRatio)), "<= 1.0", slowest <= 1.0);
		Map<String, double[]> slow = new LinkedHashMap<>();
		for (int r = 0; r < n; r++) {
			RotationPhases.add(slow, RotationPhases.count(runs.get(r), analyses.get(r), HeadlineScenario.SLOW_MILLIS));
		}
		this.report.row("headline", f("queries over %.0f ms per second, by step of the rotation and in the control "
				+ "windows", HeadlineScenario.SLOW_MILLIS), RotationPhases.describe(slow),
				f("%d runs pooled: slow queries started in each step / the step's seconds (slowest ms); where the "
						+ "slowest-query figure comes from", n),
				"", null);
		this.report.row("headline", TIMINGS_FIGURE, timings(all, Stats::median),
				f("median of %d rotations; max %s", all.size(), timings(all, Stats::max)), "", null);
		this.report.row("headline", "old connections left at drain deadline", Long.toString(oldLeft),
				f("%d rotations", all.size()), "0", oldLeft == 0);
		Map<String, Object> raw = new LinkedHashMap<>();
		raw.put("workers", workers);
		raw.put("ttl", vaultTtl(ttl));
		raw.put("maxTtl", vaultTtl(maxTtl));
		raw.put("intervalSeconds", interval.toSeconds());
		raw.put("p99InsideOverOutside", p99Ratio);
		raw.put("slowestInsideOverSlowestControl", slowestRatio);
		List<Map<String, Object>> perRun = new ArrayList<>();
		for (int r = 0; r < n; r++) {
			RotationRun run = runs.get(r);
			RotationAnalysis a = analyses.get(r);
			Map<String, Object> one = new LinkedHashMap<>();
			one.put("queries", run.samples().size());
			one.put("failedQueries", run.samples().failures());
			one.put("failuresByState", run.samples().failuresByState());
			one.put("connectionTimeouts", run.connectionTimeouts());
			one.put("connectionsCreated", run.connectionsCreated()[0]);
			one.put("usersServed", run.samples().users().size());
			one.put("inside", Map.of("queries", a.insideQueries, "p50Millis", a.p50In, "p99Millis", a.p99In,
					"maxMillis", a.maxIn));
			one.put("outside", Map.of("queries", a.outsideQueries, "p50Millis", a.p50Out, "p99Millis", a.p99Out,
					"maxMillis", a.maxOut));
			one.put("control", Map.of("windows", a.control.size(), "p99Millis", a.p99Control, "maxMillis",
					a.maxControl, "maxPerWindowMillis", a.controlMaxMillis));
			one.put("maxPerRotationMillis", a.windowMaxMillis);
			one.put("maxInRotationsPairedWithControlMillis", a.maxInPaired);
			Map<String, Object> byStep = new LinkedHashMap<>();
			RotationPhases.count(run, a, HeadlineScenario.SLOW_MILLIS)
				.forEach((step, value) -> byStep.put(step,
						Map.of("slowQueries", (long) value[0], "seconds", value[1], "slowestMillis", value[2])));
			one.put("slowQueriesByStep", byStep);
			one.put("rotations", run.rotations().stream().map(RotationTimings::toMap).toList());
			one.put("events", run.eventCounts());
			one.put("vaultRequests", VaultRequestCounter.countByKind(run.requests()));
			one.put("latencyBySecond", LatencySeries.bySecond(run.samples()));
			perRun.add(one);
		}
		raw.put("runs", perRun);
		this.report.raw("headlineRotation", raw);
		if (n > 0) {
			RotationRun first = runs.get(0);
			RotationAnalysis a = analyses.get(0);
			this.suite.panels()
				.add(new LatencyPlot.Panel(f("vault-datasource headline run 1 of %d: %d workers, %s/%s leases, %d "
						+ "rotations forced every %ss, %d failed queries (shaded: rotation; lines: control windows' "
						+ "centres)", n, workers, vaultTtl(ttl), vaultTtl(maxTtl), first.rotations().size(),
						interval.toSeconds(), first.samples().failures()), first.samples(), a.inRotation,
						controlCentres(a), first.measuredFrom(), Long.MAX_VALUE));
			closeUp(first, a, "headline run 1, forced ");
		}
	}

	private static List<Long> controlCentres(RotationAnalysis a) {
		List<Long> centres = new ArrayList<>();
		for (int w = 0; w < a.control.size(); w++) {
			centres.add((a.control.start(w) + a.control.end(w)) / 2);
		}
		return centres;
	}

	/**
	 * Return issue / validation / surge ready (= evict) / drained / revoked / total in
	 * milliseconds: each step's duration, summarised over the rotations; then the wait before the
	 * revocation, which the total leaves out.
	 */
	static String timings(List<RotationTimings> rotations, Function<double[], Double> summary) {
		List<Function<RotationTimings, Duration>> phases = List.of(RotationTimings::issue,
				RotationTimings::validation, RotationTimings::surge, RotationTimings::drain, RotationTimings::revoke,
				RotationTimings::total);
		StringBuilder text = new StringBuilder();
		for (Function<RotationTimings, Duration> phase : phases) {
			text.append(text.isEmpty() ? "" : " / ").append(summarise(rotations, phase, summary));
		}
		return text.append("; wait ").append(summarise(rotations, RotationTimings::revokeWait, summary)).toString();
	}

	private static String summarise(List<RotationTimings> rotations, Function<RotationTimings, Duration> phase,
			Function<double[], Double> summary) {
		double[] values = rotations.stream().mapToDouble((r) -> phase.apply(r).toMillis()).toArray();
		return (values.length == 0) ? "n/a" : f("%.0f", summary.apply(values));
	}

	/**
	 * A close-up of the rotation whose slowest query is the median of all rotations'.
	 */
	private void closeUp(RotationRun run, RotationAnalysis a) {
		closeUp(run, a, "");
	}

	private void closeUp(RotationRun run, RotationAnalysis a, String prefix) {
		int typical = a.typicalRotation();
		if (typical < 0) {
			return;
		}
		RotationTimings phase = run.rotations().get(typical);
		this.suite.panels()
			.add(new LatencyPlot.Panel(f("%sclose-up of rotation %d (median slowest query): issue %s ms, validation "
					+ "%s ms, surge %s ms, drain %s ms, revoke %s ms (lines: issued, switched, evicted, drained)", prefix,
					typical + 1, phase.issue().toMillis(), phase.validation().toMillis(), phase.surge().toMillis(),
					phase.drain().toMillis(), phase.revoke().toMillis()), run.samples(), a.inRotation,
					List.of(phase.issuedNanos(), phase.switchedNanos(), phase.evictedNanos(), phase.drainedNanos()),
					a.inRotation.start(typical) - 1_000_000_000L, a.inRotation.end(typical) + 1_500_000_000L));
	}

}
