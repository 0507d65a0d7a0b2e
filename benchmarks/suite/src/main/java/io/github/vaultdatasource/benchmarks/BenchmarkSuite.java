package io.github.vaultdatasource.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import io.github.vaultdatasource.benchmarks.BenchApplication.EventRecorder;
import io.github.vaultdatasource.benchmarks.VaultRequestCounter.Request;
import io.github.vaultdatasource.benchmarks.load.QueryLoad;
import io.github.vaultdatasource.benchmarks.load.Samples;
import io.github.vaultdatasource.benchmarks.load.Stats;
import io.github.vaultdatasource.event.CredentialsIssuedEvent;
import io.github.vaultdatasource.event.CredentialsRotatedEvent;
import io.github.vaultdatasource.event.LeaseFailureEvent;
import io.github.vaultdatasource.event.LeaseRenewedEvent;
import io.github.vaultdatasource.event.LeaseRevokedEvent;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;

import static io.github.vaultdatasource.benchmarks.Report.f;

/**
 * Runs every benchmark scenario in one invocation against the real OpenBao and PostgreSQL that
 * {@code scripts/services.sh up} started: query-path overhead, rotation under load, the incumbent
 * (Spring Cloud Vault, in its own JVM), startup (separate JVMs) and a simulated fleet's Vault
 * request rate. Prints a table, writes the raw figures as JSON and the latency plot as PNG.
 * Started by {@code scripts/bench.sh}.
 */
public final class BenchmarkSuite {

	private final BenchSettings settings = new BenchSettings();

	private final Report report = new Report();

	private final BenchEnvironment env;

	private final Path results;

	private final List<LatencyPlot.Panel> panels = new ArrayList<>();

	private final VaultRequestCounter vaultRequests;

	private BenchmarkSuite(BenchEnvironment env, Path results) throws IOException {
		this.env = env;
		this.results = results;
		this.vaultRequests = new VaultRequestCounter(env.vaultAddress());
	}

	public static void main(String[] args) throws Exception {
		Path envFile = Path.of(System.getProperty("bench.env-file", ".vds/env"));
		Path results = Path.of(System.getProperty("bench.results-dir", "benchmarks/results"));
		Files.createDirectories(results);
		BenchmarkSuite suite = new BenchmarkSuite(BenchEnvironment.load(envFile), results);
		try {
			suite.runAll();
		}
		finally {
			suite.vaultRequests.close();
		}
	}

	private void runAll() throws Exception {
		long started = System.nanoTime();
		List<String> scenarios = List.of(this.settings.string("scenarios", "overhead,rotation,incumbent,startup,fleet")
			.split(","));
		this.env.createStaticUser();
		for (String scenario : scenarios) {
			String name = scenario.trim();
			progress("scenario " + name);
			try {
				switch (name) {
					case "overhead" -> overhead();
					case "rotation" -> rotation();
					case "incumbent" -> incumbent();
					case "startup" -> startup();
					case "fleet" -> fleet();
					default -> throw new IllegalArgumentException("Unknown scenario " + name);
				}
			}
			catch (Exception ex) {
				progress("scenario " + name + " FAILED: " + ex);
				ex.printStackTrace();
				this.report.row(name, "scenario failed", String.valueOf(ex.getMessage()), "", "", false);
			}
		}
		this.report.raw("settings", this.settings.used());
		this.report.raw("machine", machine());
		this.report.raw("suiteSeconds", (System.nanoTime() - started) / 1e9);
		String stamp = Instant.now().toString().replace(":", "").replaceAll("\\..*", "");
		this.report.writeJson(this.results.resolve("bench-" + stamp + ".json"));
		this.report.writeJson(this.results.resolve("latest.json"));
		if (!this.panels.isEmpty()) {
			LatencyPlot.draw(this.results.resolve("latency.png"), this.panels);
		}
		System.out.println();
		this.report.printTable(System.out);
		System.out.println();
		System.out.println(f("raw figures: %s, plot: %s, suite time %.0f s", this.results.resolve("latest.json"),
				this.results.resolve("latency.png"), (System.nanoTime() - started) / 1e9));
	}

	// ---------------------------------------------------------------- query-path overhead

	private void overhead() throws Exception {
		int workers = this.settings.integer("overhead.workers", 8);
		int rounds = this.settings.integer("overhead.rounds", 16);
		Duration round = this.settings.duration("overhead.round", "2s");
		Duration warmup = this.settings.duration("overhead.warmup", "5s");
		this.env.createRole("bench-steady", Duration.ofHours(1), Duration.ofHours(24));
		try (ConfigurableApplicationContext plain = start(staticProperties("plain"));
				ConfigurableApplicationContext vault = start(vaultProperties("vault", "bench-steady"))) {
			DataSource a = plain.getBean(DataSource.class);
			DataSource b = vault.getBean(DataSource.class);
			measure(a, workers, warmup);
			measure(b, workers, warmup);
			List<Map<String, Object>> runs = new ArrayList<>();
			double[] throughputRatio = new double[rounds];
			double[] p50Ratio = new double[rounds];
			double[] p99Ratio = new double[rounds];
			double[] throughputA = new double[rounds];
			double[] throughputB = new double[rounds];
			double[] p50A = new double[rounds];
			double[] p50B = new double[rounds];
			double[] p99A = new double[rounds];
			double[] p99B = new double[rounds];
			long failures = 0;
			for (int r = 0; r < rounds; r++) {
				// Both pools at once, half the workers each, so whatever else the machine does in a
				// round hits both alike; which pool's workers start first alternates.
				boolean plainFirst = r % 2 == 0;
				Run[] both = measureTogether(plainFirst ? a : b, plainFirst ? b : a, workers / 2, round);
				Run runA = plainFirst ? both[0] : both[1];
				Run runB = plainFirst ? both[1] : both[0];
				failures += runA.failures() + runB.failures();
				throughputA[r] = runA.throughput();
				throughputB[r] = runB.throughput();
				p50A[r] = runA.p50Millis();
				p50B[r] = runB.p50Millis();
				p99A[r] = runA.p99Millis();
				p99B[r] = runB.p99Millis();
				throughputRatio[r] = runB.throughput() / runA.throughput();
				p50Ratio[r] = runB.p50Millis() / runA.p50Millis();
				p99Ratio[r] = runB.p99Millis() / runA.p99Millis();
				runs.add(Map.of("round", r, "plainStartedFirst", plainFirst, "plain", runA.toMap(), "vaultDatasource",
						runB.toMap()));
				progress(f("  round %d: plain %.0f q/s p99 %.2f ms, vault-datasource %.0f q/s p99 %.2f ms, ratio %.3f", r,
						runA.throughput(), runA.p99Millis(), runB.throughput(), runB.p99Millis(), throughputRatio[r]));
			}
			String spread = f("%d rounds of %ds, both pools at once, %d workers each; min–max", rounds,
					round.toSeconds(), workers / 2);
			double ratio = Stats.median(throughputRatio);
			this.report.row("query path", "throughput plain HikariCP (q/s)", f("%.0f", Stats.median(throughputA)),
					f("%s %.0f–%.0f", spread, Stats.min(throughputA), Stats.max(throughputA)), "", null);
			this.report.row("query path", "throughput vault-datasource (q/s)", f("%.0f", Stats.median(throughputB)),
					f("%s %.0f–%.0f", spread, Stats.min(throughputB), Stats.max(throughputB)), "", null);
			double pooled = java.util.Arrays.stream(throughputB).sum() / java.util.Arrays.stream(throughputA).sum();
			this.report.row("query path", "throughput ratio b/a (median of rounds)", f("%.3f", ratio),
					f("%s %.3f–%.3f; all rounds pooled %.3f", spread, Stats.min(throughputRatio),
							Stats.max(throughputRatio), pooled),
					">= 0.98", ratio >= 0.98);
			this.report.row("query path", "p50 plain / vault-datasource (ms)",
					f("%.3f / %.3f", Stats.median(p50A), Stats.median(p50B)),
					f("%s ratio %.3f–%.3f", spread, Stats.min(p50Ratio), Stats.max(p50Ratio)), "", null);
			this.report.row("query path", "p99 plain / vault-datasource (ms)",
					f("%.3f / %.3f", Stats.median(p99A), Stats.median(p99B)),
					f("%s ratio %.3f–%.3f", spread, Stats.min(p99Ratio), Stats.max(p99Ratio)), "", null);
			Map<String, Object> raw = new LinkedHashMap<>();
			raw.put("workersEachPool", workers / 2);
			raw.put("roundSeconds", round.toSeconds());
			raw.put("failedQueries", failures);
			raw.put("throughputRatioMedian", ratio);
			raw.put("throughputRatioPooled", pooled);
			raw.put("throughputRatios", throughputRatio);
			raw.put("p50Ratios", p50Ratio);
			raw.put("p99Ratios", p99Ratio);
			raw.put("runs", runs);
			this.report.raw("queryPathOverhead", raw);
		}
	}

	private Run[] measureTogether(DataSource first, DataSource second, int workersEach, Duration duration)
			throws InterruptedException {
		long origin = System.nanoTime();
		QueryLoad loadFirst = QueryLoad.start(first, workersEach, origin);
		QueryLoad loadSecond = QueryLoad.start(second, workersEach, origin);
		Thread.sleep(duration.toMillis());
		Samples samplesFirst = loadFirst.stop();
		Samples samplesSecond = loadSecond.stop();
		return new Run[] { run(samplesFirst, duration), run(samplesSecond, duration) };
	}

	private static Run run(Samples samples, Duration duration) {
		long window = duration.toNanos();
		long queries = samples.count((start) -> start <= window) - samples.failures((start) -> start <= window);
		long[] latencies = samples.latencies((start) -> start <= window);
		return new Run(queries / (window / 1e9), Stats.millis(Stats.percentile(latencies, 50)),
				Stats.millis(Stats.percentile(latencies, 99)), queries, samples.failures());
	}

	private Run measure(DataSource dataSource, int workers, Duration duration) throws InterruptedException {
		long origin = System.nanoTime();
		QueryLoad load = QueryLoad.start(dataSource, workers, origin);
		Thread.sleep(duration.toMillis());
		Samples samples = load.stop();
		long window = duration.toNanos();
		long queries = samples.count((start) -> start <= window) - samples.failures((start) -> start <= window);
		long[] latencies = samples.latencies((start) -> start <= window);
		return new Run(queries / (window / 1e9), Stats.millis(Stats.percentile(latencies, 50)),
				Stats.millis(Stats.percentile(latencies, 99)), queries, samples.failures());
	}

	record Run(double throughput, double p50Millis, double p99Millis, long queries, long failures) {

		Map<String, Object> toMap() {
			return Map.of("throughput", this.throughput, "p50Millis", this.p50Millis, "p99Millis", this.p99Millis,
					"queries", this.queries, "failures", this.failures);
		}

	}

	// ---------------------------------------------------------------- rotation under load

	private void rotation() throws Exception {
		int workers = this.settings.integer("rotation.workers", 32);
		int target = this.settings.integer("rotation.rotations", 20);
		Duration ttl = this.settings.duration("rotation.ttl", "3s");
		Duration maxTtl = this.settings.duration("rotation.max-ttl", "6s");
		Duration warmup = this.settings.duration("rotation.warmup", "4s");
		Duration limit = this.settings.duration("rotation.limit", "240s");
		String role = "bench-rotation";
		this.env.createRole(role, ttl, maxTtl);
		Instant countFrom = Instant.now();
		Samples samples;
		List<CredentialsRotatedEvent> rotations;
		List<long[]> windows = new ArrayList<>();
		List<Map<String, Object>> phases = new ArrayList<>();
		long timeouts;
		double[] created;
		int allRotations;
		long origin;
		long measuredFrom = warmup.toNanos();
		Map<String, Long> eventCounts = new LinkedHashMap<>();
		// For experiments, such as vault.rotation.surge=false: extra properties as name=value;name=value.
		String extra = this.settings.string("rotation.properties", "");
		Map<String, Object> properties = vaultProperties("rotation", role);
		for (String pair : extra.split(";")) {
			if (pair.contains("=")) {
				properties.put(pair.substring(0, pair.indexOf('=')).trim(), pair.substring(pair.indexOf('=') + 1).trim());
			}
		}
		try (ConfigurableApplicationContext vault = start(properties)) {
			EventRecorder events = vault.getBean(EventRecorder.class);
			origin = System.nanoTime();
			QueryLoad load = QueryLoad.start(vault.getBean(DataSource.class), workers, origin);
			long deadline = origin + limit.toNanos();
			while (System.nanoTime() < deadline && countAfter(events, origin + measuredFrom) < target) {
				Thread.sleep(200);
			}
			// One more second of steady load after the last counted rotation.
			Thread.sleep(1000);
			samples = load.stop();
			timeouts = BenchApplication.connectionTimeouts(vault);
			created = BenchApplication.connectionsCreated(vault);
			allRotations = events.all(CredentialsRotatedEvent.class).size();
			rotations = events.all(CredentialsRotatedEvent.class)
				.stream()
				.filter((event) -> events.nanosOf(event) - origin > measuredFrom)
				.toList();
			for (CredentialsRotatedEvent rotation : rotations) {
				long end = events.nanosOf(rotation) - origin;
				long begin = end - rotation.getTotalDuration().toNanos();
				windows.add(new long[] { begin, end });
				Map<String, Object> phase = new LinkedHashMap<>();
				phase.put("startSeconds", begin / 1e9);
				phase.put("issueMillis", rotation.getIssueDuration().toMillis());
				phase.put("switchMillis", rotation.getSwitchDuration().toMillis());
				phase.put("drainMillis", rotation.getDrainDuration().toMillis());
				phase.put("revokeMillis", rotation.getRevokeDuration().toMillis());
				phase.put("totalMillis", rotation.getTotalDuration().toMillis());
				phase.put("oldConnectionsLeft", rotation.getOldConnectionsLeft());
				phase.put("reason", rotation.getReason().toString());
				phases.add(phase);
			}
			eventCounts.put("issued", (long) events.all(CredentialsIssuedEvent.class).size());
			eventCounts.put("renewed", (long) events.all(LeaseRenewedEvent.class).size());
			eventCounts.put("revoked", (long) events.all(LeaseRevokedEvent.class).size());
			eventCounts.put("failed", (long) events.all(LeaseFailureEvent.class).size());
		}
		List<Request> requests = this.vaultRequests.since(countFrom);
		LatencyWindows inRotation = new LatencyWindows(windows);
		long measuredTo = samples.size() > 0 ? samples.start(samples.size() - 1) : 0;
		long[] inside = samples.latencies((start) -> start >= measuredFrom && inRotation.contains(start));
		long[] outside = samples.latencies((start) -> start >= measuredFrom && !inRotation.contains(start));
		long failed = samples.failures((start) -> true);
		long queries = samples.count((start) -> start >= measuredFrom);
		double p50In = Stats.millis(Stats.percentile(inside, 50));
		double p99In = Stats.millis(Stats.percentile(inside, 99));
		double maxIn = Stats.millis(Stats.percentile(inside, 100));
		double p50Out = Stats.millis(Stats.percentile(outside, 50));
		double p99Out = Stats.millis(Stats.percentile(outside, 99));
		double maxOut = Stats.millis(Stats.percentile(outside, 100));
		String runs = f("1 run, %d workers, %s/%s leases, %d rotations, %.0f s measured", workers, vaultTtl(ttl),
				vaultTtl(maxTtl), rotations.size(), (measuredTo - measuredFrom) / 1e9);
		this.report.row("rotation", "rotations measured", Integer.toString(rotations.size()), runs, ">= 20",
				rotations.size() >= 20);
		this.report.row("rotation", "failed queries (all, incl. warm-up)",
				f("%d of %d %s", failed, samples.size(), samples.failuresByState()), runs, "0", failed == 0);
		this.report.row("rotation", "hikaricp.connections.timeout", Long.toString(timeouts), runs, "0", timeouts == 0);
		this.report.row("rotation", "p50 / p99 / max outside rotations (ms)", f("%.2f / %.2f / %.1f", p50Out, p99Out,
				maxOut), f("%d queries outside windows", outside.length), "", null);
		this.report.row("rotation", "p50 / p99 / max inside rotations (ms)", f("%.2f / %.2f / %.1f", p50In, p99In, maxIn),
				f("%d queries in %d windows, %.1f s in all", inside.length, inRotation.size(),
						inRotation.totalNanos() / 1e9),
				"", null);
		double[] windowP99 = new double[inRotation.size()];
		double[] windowMax = new double[inRotation.size()];
		for (int w = 0; w < inRotation.size(); w++) {
			long from = inRotation.start(w);
			long to = inRotation.end(w);
			long[] latencies = samples.latencies((start) -> start >= from && start <= to);
			windowP99[w] = Stats.millis(Stats.percentile(latencies, 99)) / p99Out;
			windowMax[w] = Stats.millis(Stats.percentile(latencies, 100)) / p99Out;
		}
		// Control: windows of the same lengths halfway between rotations. What they show is the
		// machine's own noise, which the figures inside rotations carry too.
		List<long[]> controlList = new ArrayList<>();
		for (int w = 0; w + 1 < inRotation.size(); w++) {
			long length = inRotation.end(w) - inRotation.start(w);
			long middle = (inRotation.end(w) + inRotation.start(w + 1)) / 2;
			if (middle + length / 2 < inRotation.start(w + 1)) {
				controlList.add(new long[] { middle - length / 2, middle + length / 2 });
			}
		}
		LatencyWindows control = new LatencyWindows(controlList);
		long[] inControl = samples.latencies((start) -> start >= measuredFrom && control.contains(start));
		double p99Control = Stats.millis(Stats.percentile(inControl, 99));
		double maxControl = Stats.millis(Stats.percentile(inControl, 100));
		double[] controlMax = new double[control.size()];
		for (int w = 0; w < control.size(); w++) {
			long from = control.start(w);
			long to = control.end(w);
			controlMax[w] = Stats.millis(Stats.percentile(samples.latencies((start) -> start >= from && start <= to),
					100)) / p99Out;
		}
		this.report.row("rotation", "control: same-length windows between rotations, p99 / steady p99",
				f("%.2f", p99Control / p99Out), f("%d windows; slowest / steady p99 %.2f, per window %.2f–%.2f",
						control.size(), maxControl / p99Out, Stats.min(controlMax), Stats.max(controlMax)),
				"", null);
		this.report.row("rotation", "p99 inside / p99 outside", f("%.2f", p99In / p99Out),
				f("%s; per rotation %.2f–%.2f, median %.2f", runs, Stats.min(windowP99), Stats.max(windowP99),
						Stats.median(windowP99)), "<= 1.2",
				p99In / p99Out <= 1.2);
		this.report.row("rotation", "slowest query in a rotation / steady p99", f("%.2f", maxIn / p99Out),
				f("%s; per rotation %.2f–%.2f, median %.2f", runs, Stats.min(windowMax), Stats.max(windowMax),
						Stats.median(windowMax)), "<= 3",
				maxIn / p99Out <= 3);
		String[] names = { "issueMillis", "switchMillis", "drainMillis", "revokeMillis", "totalMillis" };
		StringBuilder durations = new StringBuilder();
		StringBuilder maxima = new StringBuilder();
		for (String name : names) {
			double[] values = phases.stream().mapToDouble((phase) -> ((Number) phase.get(name)).doubleValue()).toArray();
			durations.append(durations.isEmpty() ? "" : " / ").append(f("%.0f", Stats.median(values)));
			maxima.append(maxima.isEmpty() ? "" : " / ").append(f("%.0f", Stats.max(values)));
		}
		this.report.row("rotation", "issued→switched→drained→revoked, total (ms, median)", durations.toString(),
				f("%d rotations; max %s", rotations.size(), maxima), "", null);
		this.report.row("rotation", "connections opened by HikariCP, per rotation",
				f("%.1f", (created[0] - poolSize()) / Math.max(1, allRotations)),
				f("%.0f in the run over %d rotations (incl. warm-up), mean %.1f ms each", created[0], allRotations,
						created[1]), "", null);
		long oldLeft = phases.stream().mapToLong((phase) -> ((Number) phase.get("oldConnectionsLeft")).longValue()).sum();
		this.report.row("rotation", "old connections left at drain deadline", Long.toString(oldLeft),
				f("%d rotations", rotations.size()), "0", oldLeft == 0);
		Map<String, Long> byKind = VaultRequestCounter.countByKind(requests);
		long issues = byKind.getOrDefault("issue", 0L);
		long total = requests.size();
		this.report.row("vault requests", "vault-datasource: requests per lease lifetime", f("%.2f", (double) total / issues),
				f("counted on the wire, %d leases, start to shutdown: %s", issues, byKind), "", null);
		Map<String, Object> raw = new LinkedHashMap<>();
		raw.put("workers", workers);
		raw.put("ttl", vaultTtl(ttl));
		raw.put("maxTtl", vaultTtl(maxTtl));
		raw.put("warmupSeconds", warmup.toSeconds());
		raw.put("queries", samples.size());
		raw.put("queriesMeasured", queries);
		raw.put("failedQueries", failed);
		raw.put("failuresByState", samples.failuresByState());
		raw.put("connectionTimeouts", timeouts);
		raw.put("connectionsCreated", created[0]);
		raw.put("connectionCreationMeanMillis", created[1]);
		raw.put("usersServed", samples.users().size());
		raw.put("inside", Map.of("queries", inside.length, "p50Millis", p50In, "p99Millis", p99In, "maxMillis", maxIn));
		raw.put("outside", Map.of("queries", outside.length, "p50Millis", p50Out, "p99Millis", p99Out, "maxMillis",
				maxOut));
		raw.put("p99InsideOverOutside", p99In / p99Out);
		raw.put("maxInsideOverSteadyP99", maxIn / p99Out);
		raw.put("rotations", phases);
		raw.put("p99PerRotationOverSteadyP99", windowP99);
		raw.put("maxPerRotationOverSteadyP99", windowMax);
		raw.put("extraProperties", extra);
		raw.put("control", Map.of("windows", control.size(), "p99Millis", p99Control, "maxMillis", maxControl,
				"maxPerWindowOverSteadyP99", controlMax));
		raw.put("events", eventCounts);
		raw.put("vaultRequests", byKind);
		raw.put("vaultRequestsPerLease", (double) total / issues);
		raw.put("latencyBySecond", bySecond(samples));
		this.report.raw("rotationUnderLoad", raw);
		this.panels.add(new LatencyPlot.Panel(f("vault-datasource: %d workers, %s/%s leases, %d rotations, %d failed "
				+ "queries (shaded: rotation issue→revoke)", workers, vaultTtl(ttl), vaultTtl(maxTtl), rotations.size(),
				failed), samples, inRotation, List.of(), measuredFrom, Long.MAX_VALUE));
		if (inRotation.size() > 0) {
			// A close-up of the rotation whose slowest query is the median of all rotations'.
			int typical = 0;
			double median = Stats.median(windowMax);
			for (int w = 0; w < windowMax.length; w++) {
				if (Math.abs(windowMax[w] - median) < Math.abs(windowMax[typical] - median)) {
					typical = w;
				}
			}
			Map<String, Object> phase = phases.get(typical);
			long issuedAt = inRotation.start(typical) + ((Number) phase.get("issueMillis")).longValue() * 1_000_000L;
			long switchedAt = issuedAt + ((Number) phase.get("switchMillis")).longValue() * 1_000_000L;
			long drainedAt = switchedAt + ((Number) phase.get("drainMillis")).longValue() * 1_000_000L;
			this.panels.add(new LatencyPlot.Panel(f("close-up of rotation %d (median slowest query): issue %s ms, switch "
					+ "%s ms, drain %s ms, revoke %s ms (lines: issued, switched, drained)", typical + 1,
					phase.get("issueMillis"), phase.get("switchMillis"), phase.get("drainMillis"),
					phase.get("revokeMillis")), samples, inRotation, List.of(issuedAt, switchedAt, drainedAt),
					inRotation.start(typical) - 1_000_000_000L, inRotation.end(typical) + 1_500_000_000L));
		}
	}

	private static long countAfter(EventRecorder events, long fromNanos) {
		return events.all(CredentialsRotatedEvent.class)
			.stream()
			.filter((event) -> events.nanosOf(event) > fromNanos)
			.count();
	}

	/**
	 * Per second of the run: queries, failed queries, p50, p99 and max latency, for the JSON file.
	 */
	private static List<Map<String, Object>> bySecond(Samples samples) {
		List<Map<String, Object>> seconds = new ArrayList<>();
		if (samples.size() == 0) {
			return seconds;
		}
		long last = samples.start(samples.size() - 1) / 1_000_000_000L;
		for (long s = 0; s <= last; s++) {
			long from = s * 1_000_000_000L;
			long to = from + 1_000_000_000L;
			long[] latencies = samples.latencies((start) -> start >= from && start < to);
			Map<String, Object> second = new LinkedHashMap<>();
			second.put("second", s);
			second.put("queries", samples.count((start) -> start >= from && start < to));
			second.put("failed", samples.failures((start) -> start >= from && start < to));
			second.put("p50Millis", Stats.millis(Stats.percentile(latencies, 50)));
			second.put("p99Millis", Stats.millis(Stats.percentile(latencies, 99)));
			second.put("maxMillis", Stats.millis(Stats.percentile(latencies, 100)));
			seconds.add(second);
		}
		return seconds;
	}

	// ---------------------------------------------------------------- the incumbent

	private void incumbent() throws Exception {
		int workers = this.settings.integer("rotation.workers", 32);
		String variants = this.settings.string("incumbent.variants", "4s/12s/24s,3s/6s/16s");
		boolean first = true;
		for (String variant : variants.split(",")) {
			String[] parts = variant.trim().split("/");
			incumbentRun(workers, BenchSettings.parse(parts[0]), BenchSettings.parse(parts[1]),
					BenchSettings.parse(parts[2]), first);
			first = false;
		}
	}

	private void incumbentRun(int workers, Duration ttl, Duration maxTtl, Duration duration, boolean plot)
			throws Exception {
		String classpath = this.settings.string("incumbent.classpath", "");
		if (classpath.isBlank()) {
			throw new IllegalStateException("bench.incumbent.classpath is not set (scripts/bench.sh sets it)");
		}
		String role = "bench-scv-" + ttl.toSeconds() + "-" + maxTtl.toSeconds();
		this.env.createRole(role, ttl, maxTtl);
		Instant countFrom = Instant.now();
		Path samplesFile = this.results.resolve("scv-" + role + "-samples.txt");
		Path eventsFile = this.results.resolve("scv-" + role + "-events.txt");
		Path logFile = this.results.resolve("scv-" + role + ".log");
		List<String> command = new ArrayList<>(List.of(javaBinary(), "-cp", classpath,
				"io.github.vaultdatasource.benchmarks.incumbent.SpringCloudVaultApplication",
				"--spring.cloud.vault.uri=" + this.vaultRequests.address(), "--spring.cloud.vault.database.role=" + role,
				"--spring.datasource.url=" + this.env.jdbcUrl(),
				"--spring.datasource.hikari.maximum-pool-size=" + poolSize(),
				"--spring.cloud.vault.config.lifecycle.min-renewal="
						+ this.settings.string("incumbent.min-renewal", "1s"),
				"--spring.cloud.vault.config.lifecycle.expiry-threshold="
						+ this.settings.string("incumbent.expiry-threshold", "2s"),
				"--bench.workers=" + workers, "--bench.seconds=" + duration.toSeconds(),
				"--bench.samples-file=" + samplesFile.toAbsolutePath(),
				"--bench.events-file=" + eventsFile.toAbsolutePath()));
		ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
			.redirectOutput(logFile.toFile());
		// The token goes through the environment, never the command line.
		builder.environment().put("SPRING_CLOUD_VAULT_TOKEN", this.env.rootToken());
		Process process = builder.start();
		boolean exited = process.waitFor(duration.toSeconds() + 120, TimeUnit.SECONDS);
		if (!exited) {
			process.destroyForcibly();
		}
		if (!exited || process.exitValue() != 0 || !Files.exists(samplesFile)) {
			throw new IllegalStateException("Spring Cloud Vault application failed; see " + logFile);
		}
		Samples samples = Samples.read(samplesFile);
		Files.delete(samplesFile);
		List<String> eventLines = Files.readAllLines(eventsFile);
		long originEpochMillis = Long.parseLong(eventLines.get(0).split(" ")[1]);
		List<Request> requests = this.vaultRequests.since(countFrom);
		// The lease behind the pool is the one whose user served the queries; Spring Cloud Vault
		// may issue more than one at startup.
		String servedBy = (samples.users().isEmpty()) ? null : samples.users().get(0);
		List<Request> issues = requests.stream().filter((request) -> request.kind().equals("issue")).toList();
		Instant issued = issues.stream()
			.filter((request) -> servedBy != null && servedBy.equals(request.username()))
			.map(Request::time)
			.findFirst()
			.orElse(issues.get(0).time());
		long firstFailure = -1;
		for (int i = 0; i < samples.size(); i++) {
			if (!samples.succeeded(i)) {
				firstFailure = samples.start(i);
				break;
			}
		}
		long crossing = (issued.plus(maxTtl).toEpochMilli() - originEpochMillis) * 1_000_000L;
		long before = samples.count((start) -> start < crossing);
		long failedBefore = samples.failures((start) -> start < crossing);
		long after = samples.count((start) -> start >= crossing);
		long failedAfter = samples.failures((start) -> start >= crossing);
		// The last 5 s of the run, not of the samples: when revocation ends the pool's sessions, its
		// workers block on logins that fail until the connection timeout, and no query completes at all.
		long runNanos = duration.toNanos();
		long lastFiveFrom = runNanos - 5_000_000_000L;
		long lastFive = samples.count((start) -> start >= lastFiveFrom);
		long lastFiveFailed = samples.failures((start) -> start >= lastFiveFrom);
		boolean recovered = lastFive > lastFiveFailed;
		double rateBefore = (crossing > 0) ? (before - failedBefore) / (crossing / 1e9) : 0;
		double rateAfter = (runNanos > crossing) ? (after - failedAfter) / ((runNanos - Math.max(crossing, 0)) / 1e9)
				: 0;
		Map<String, Long> byKind = VaultRequestCounter.countByKind(requests);
		String label = f("Spring Cloud Vault %s/%s", vaultTtl(ttl), vaultTtl(maxTtl));
		String runs = f("1 run, %d workers, %d s, max_ttl crossed at %.1f s", workers, duration.toSeconds(),
				crossing / 1e9);
		this.report.row("incumbent", label + ": failed before max_ttl",
				(crossing > 0) ? f("%d of %d (%.1f%%)", failedBefore, before, percent(failedBefore, before))
						: f("n/a: max_ttl passed %.1f s before its load began (slow start)", -crossing / 1e9),
				runs, "", null);
		this.report.row("incumbent", label + ": failed after max_ttl",
				f("%d of %d (%.1f%%) %s", failedAfter, after, percent(failedAfter, after),
						samples.failuresByState((start) -> start >= crossing)),
				runs, "", null);
		this.report.row("incumbent", label + ": succeeded queries/s before / after max_ttl",
				f("%.0f / %.0f", rateBefore, rateAfter), runs + "; a drop means workers wait for connections that "
						+ "cannot log in", "", null);
		this.report.row("incumbent", label + ": recovers without restart",
				recovered ? f("yes (%d of %d failed in the last 5 s)", lastFiveFailed, lastFive)
						: f("no: %d of %d queries started in the last 5 s succeeded, %d database user(s) ever served",
								lastFive - lastFiveFailed, lastFive, samples.users().size()),
				runs, "", null);
		long issueCount = byKind.getOrDefault("issue", 0L);
		this.report.row("vault requests", label + ": requests per lease lifetime",
				f("%.2f", (double) requests.size() / Math.max(issueCount, 1)),
				f("counted on the wire, %d lease(s): %s", issueCount, byKind), "", null);
		Map<String, Object> raw = new LinkedHashMap<>();
		raw.put("ttl", vaultTtl(ttl));
		raw.put("maxTtl", vaultTtl(maxTtl));
		raw.put("workers", workers);
		raw.put("seconds", duration.toSeconds());
		raw.put("minRenewal", this.settings.string("incumbent.min-renewal", "1s"));
		raw.put("expiryThreshold", this.settings.string("incumbent.expiry-threshold", "2s"));
		raw.put("maxTtlCrossedAtSeconds", crossing / 1e9);
		raw.put("firstFailureAtSeconds", (firstFailure >= 0) ? firstFailure / 1e9 : null);
		raw.put("issuedAtSeconds", issues.stream()
			.map((request) -> (request.time().toEpochMilli() - originEpochMillis) / 1000.0)
			.toList());
		raw.put("leaseOfPoolIssuedAtSeconds", (issued.toEpochMilli() - originEpochMillis) / 1000.0);
		raw.put("queriesBefore", before);
		raw.put("failedBefore", failedBefore);
		raw.put("queriesAfter", after);
		raw.put("failedAfter", failedAfter);
		raw.put("failuresByState", samples.failuresByState());
		raw.put("usersServed", samples.users().size());
		raw.put("recovered", recovered);
		raw.put("queriesPerSecondBefore", rateBefore);
		raw.put("queriesPerSecondAfter", rateAfter);
		raw.put("leaseEvents", eventLines.subList(1, eventLines.size()));
		raw.put("vaultRequests", byKind);
		raw.put("latencyBySecond", bySecond(samples));
		this.report.raw("incumbent-" + vaultTtl(ttl) + "-" + vaultTtl(maxTtl), raw);
		if (plot) {
			this.panels.add(new LatencyPlot.Panel(
					f("%s: %d workers; red: failed queries; blank: no query completed; line: max_ttl", label, workers),
					samples, new LatencyWindows(List.of()), List.of(crossing), 0, runNanos));
		}
	}

	private static double percent(long part, long whole) {
		return (whole == 0) ? 0 : 100.0 * part / whole;
	}

	// ---------------------------------------------------------------- startup

	private void startup() throws Exception {
		int runs = this.settings.integer("startup.runs", 8);
		this.env.createRole("bench-startup", Duration.ofHours(1), Duration.ofHours(24));
		String classpath = System.getProperty("java.class.path");
		double[] staticMillis = new double[runs];
		double[] vaultMillis = new double[runs];
		double[] ratios = new double[runs];
		// One untimed start of each first: the operating system's file cache, not the libraries.
		launch(classpath, false);
		launch(classpath, true);
		double[] cpuRatios = new double[runs];
		double[] staticCpu = new double[runs];
		double[] vaultCpu = new double[runs];
		for (int r = 0; r < runs; r++) {
			boolean staticFirst = r % 2 == 0;
			double[] first = launchMeasured(classpath, !staticFirst);
			double[] second = launchMeasured(classpath, staticFirst);
			double[] plain = staticFirst ? first : second;
			double[] vault = staticFirst ? second : first;
			staticMillis[r] = plain[0];
			vaultMillis[r] = vault[0];
			staticCpu[r] = plain[1];
			vaultCpu[r] = vault[1];
			ratios[r] = vaultMillis[r] / staticMillis[r];
			cpuRatios[r] = vaultCpu[r] / staticCpu[r];
			progress(f("  startup pair %d: static %.0f ms, vault-datasource %.0f ms", r, staticMillis[r], vaultMillis[r]));
		}
		String spread = f("%d interleaved pairs of separate JVMs; min–max", runs);
		this.report.row("startup", "time to ready, static credentials (ms)", f("%.0f", Stats.median(staticMillis)),
				f("%s %.0f–%.0f", spread, Stats.min(staticMillis), Stats.max(staticMillis)), "", null);
		this.report.row("startup", "time to ready, vault-datasource (ms)", f("%.0f", Stats.median(vaultMillis)),
				f("%s %.0f–%.0f", spread, Stats.min(vaultMillis), Stats.max(vaultMillis)), "", null);
		double ratio = Stats.median(ratios);
		this.report.row("startup", "startup ratio vault/static (median of pairs)", f("%.3f", ratio),
				f("%s %.3f–%.3f", spread, Stats.min(ratios), Stats.max(ratios)), "<= 1.15", ratio <= 1.15);
		this.report.row("startup", "CPU used until ready, static / vault-datasource (ms)",
				f("%.0f / %.0f, ratio %.3f", Stats.median(staticCpu), Stats.median(vaultCpu), Stats.median(cpuRatios)),
				f("%s ratio %.3f–%.3f", spread, Stats.min(cpuRatios), Stats.max(cpuRatios)), "", null);
		Map<String, Object> raw = new LinkedHashMap<>();
		raw.put("runs", runs);
		raw.put("staticCpuMillis", staticCpu);
		raw.put("vaultCpuMillis", vaultCpu);
		raw.put("cpuRatios", cpuRatios);
		raw.put("staticMillis", staticMillis);
		raw.put("vaultMillis", vaultMillis);
		raw.put("ratios", ratios);
		raw.put("ratioMedian", ratio);
		raw.put("definition", "wall time from process launch until the application printed that its context "
				+ "is refreshed and a first query answered");
		this.report.raw("startup", raw);
	}

	/**
	 * Start the benchmark application in a new JVM and return the milliseconds from launch until
	 * it reported ready (context refreshed, first query answered).
	 */
	private double launch(String classpath, boolean vault) throws IOException, InterruptedException {
		return launchMeasured(classpath, vault)[0];
	}

	/**
	 * Start the benchmark application in a new JVM.
	 * @return the wall milliseconds from launch until ready, and the CPU milliseconds the JVM had
	 * used by then (the latter barely moves when other processes compete for the CPU)
	 */
	private double[] launchMeasured(String classpath, boolean vault) throws IOException, InterruptedException {
		List<String> command = new ArrayList<>(List.of(javaBinary(),
				"-Dbench.log-file=" + this.results.resolve("startup.log").toAbsolutePath(), "-cp", classpath,
				BenchApplication.class.getName(), "--spring.main.web-application-type=none",
				"--spring.main.banner-mode=off", "--spring.datasource.url=" + this.env.jdbcUrl(),
				"--spring.datasource.hikari.maximum-pool-size=" + poolSize()));
		ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
		if (vault) {
			command.add("--vault.uri=" + this.env.vaultAddress());
			command.add("--vault.database.role=bench-startup");
			builder.environment().put("VAULT_TOKEN", this.env.rootToken());
		}
		else {
			command.add("--vault.enabled=false");
			command.add("--spring.datasource.username=" + BenchEnvironment.STATIC_USER);
			builder.environment().put("SPRING_DATASOURCE_PASSWORD", this.env.staticPassword());
			builder.environment().remove("VAULT_TOKEN");
		}
		builder.command(command);
		long started = System.nanoTime();
		Process process = builder.start();
		Double ready = null;
		double cpu = -1;
		StringBuilder output = new StringBuilder();
		try (BufferedReader lines = new BufferedReader(
				new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
			String line;
			while ((line = lines.readLine()) != null) {
				if (ready == null && line.startsWith("BENCH-READY")) {
					ready = (System.nanoTime() - started) / 1e6;
					cpu = Double.parseDouble(line.replaceAll(".*cpu-ms=(-?[0-9]+).*", "$1"));
				}
				output.append(line).append('\n');
			}
		}
		if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0 || ready == null) {
			process.destroyForcibly();
			throw new IllegalStateException("Startup run failed:\n" + output);
		}
		return new double[] { ready, cpu };
	}

	// ---------------------------------------------------------------- simulated fleet

	private void fleet() {
		int instances = this.settings.integer("fleet.instances", 1000);
		Duration ttl = this.settings.duration("fleet.ttl", "5m");
		Duration maxTtl = this.settings.duration("fleet.max-ttl", "1h");
		Duration spread = this.settings.duration("fleet.start-spread", "5m");
		Duration window = this.settings.duration("fleet.window", "3h");
		long seed = this.settings.integer("fleet.seed", 7);
		double jitter = this.settings.decimal("fleet.jitter", 0.1);
		quietLeaseLogging(true);
		try {
			Map<String, Object> rolling = new FleetSimulation(instances, ttl, maxTtl, spread, jitter, window, seed).run();
			Map<String, Object> noJitter = new FleetSimulation(instances, ttl, maxTtl, spread, 0, window, seed).run();
			Map<String, Object> randomPhases = new FleetSimulation(instances, ttl, maxTtl, maxTtl, jitter, window, seed)
				.run();
			String runs = f("%d instances, %s/%s leases, %s steady window, 1 s buckets", instances, vaultTtl(ttl),
					vaultTtl(maxTtl), window.toHours() + "h");
			double ratio = (double) rolling.get("peakToMean1s");
			this.report.row("vault requests", f("fleet requests per lease lifetime (simulated)"),
					f("%.2f", (double) rolling.get("requestsPerLeaseLifetime")), runs, "", null);
			this.report.row("vault requests", f("fleet peak/mean req/s, started over %ss, jitter %.2f", spread.toSeconds(),
					jitter), f("%.2f (mean %.2f/s, peak %d/s)", ratio, (double) rolling.get("meanPerSecond"),
							(long) rolling.get("peakPerSecond")),
					f("%s; random-arrival baseline %.2f; 60 s buckets %.2f", runs, (double) rolling.get("poissonPeakToMean1s"),
							(double) rolling.get("peakToMean60s")),
					"<= 2", ratio <= 2);
			this.report.row("vault requests", "fleet peak/mean req/s, same start, no jitter",
					f("%.2f", (double) noJitter.get("peakToMean1s")),
					f("%s; 60 s buckets %.2f", runs, (double) noJitter.get("peakToMean60s")), "", null);
			this.report.row("vault requests", "fleet peak/mean req/s, instances at random phases",
					f("%.2f", (double) randomPhases.get("peakToMean1s")),
					f("%s; random-arrival baseline %.2f; 60 s buckets %.2f", runs,
							(double) randomPhases.get("poissonPeakToMean1s"), (double) randomPhases.get("peakToMean60s")),
					"", null);
			this.report.raw("fleet", Map.of("rollingStart", rolling, "rollingStartNoJitter", noJitter,
					"randomPhases", randomPhases));
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

	// ---------------------------------------------------------------- helpers

	private int poolSize() {
		return this.settings.integer("pool-size", 10);
	}

	private Map<String, Object> baseProperties(String poolName) {
		Map<String, Object> properties = new HashMap<>();
		properties.put("spring.datasource.url", this.env.jdbcUrl());
		properties.put("spring.datasource.hikari.maximum-pool-size", poolSize());
		properties.put("spring.datasource.hikari.pool-name", poolName);
		return properties;
	}

	private Map<String, Object> staticProperties(String poolName) {
		Map<String, Object> properties = baseProperties(poolName);
		properties.put("vault.enabled", false);
		properties.put("spring.datasource.username", BenchEnvironment.STATIC_USER);
		properties.put("spring.datasource.password", this.env.staticPassword());
		return properties;
	}

	private Map<String, Object> vaultProperties(String poolName, String role) {
		Map<String, Object> properties = baseProperties(poolName);
		properties.put("vault.uri", this.vaultRequests.address());
		properties.put("vault.token", this.env.rootToken());
		properties.put("vault.database.role", role);
		properties.put("vault.read-timeout", "2s");
		return properties;
	}

	private static ConfigurableApplicationContext start(Map<String, Object> properties) {
		SpringApplication application = new SpringApplication(BenchApplication.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setBannerMode(Banner.Mode.OFF);
		application.setLogStartupInfo(false);
		application.setRegisterShutdownHook(false);
		application.setDefaultProperties(properties);
		return application.run();
	}

	private static String javaBinary() {
		return ProcessHandle.current().info().command().orElse("java");
	}

	private static String vaultTtl(Duration duration) {
		return BenchSettings.vaultTtl(duration);
	}

	private static Map<String, Object> machine() {
		Map<String, Object> machine = new LinkedHashMap<>();
		machine.put("processors", Runtime.getRuntime().availableProcessors());
		machine.put("javaVersion", System.getProperty("java.version"));
		machine.put("javaVm", System.getProperty("java.vm.name"));
		machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
		try {
			Files.readAllLines(Path.of("/proc/cpuinfo"))
				.stream()
				.filter((line) -> line.startsWith("model name"))
				.findFirst()
				.ifPresent((line) -> machine.put("cpu", line.substring(line.indexOf(':') + 1).trim()));
			Files.readAllLines(Path.of("/proc/meminfo"))
				.stream()
				.filter((line) -> line.startsWith("MemTotal"))
				.findFirst()
				.ifPresent((line) -> machine.put("memory", line.substring(line.indexOf(':') + 1).trim()));
			machine.put("loadAverage", Files.readString(Path.of("/proc/loadavg")).trim());
		}
		catch (IOException ex) {
			machine.put("procError", ex.getMessage());
		}
		return machine;
	}

	private static void progress(String message) {
		System.out.println(f("[bench %s] %s", java.time.LocalTime.now().withNano(0), message));
	}

}
