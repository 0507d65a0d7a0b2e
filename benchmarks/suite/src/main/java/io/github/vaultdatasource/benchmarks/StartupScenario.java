package io.github.vaultdatasource.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import io.github.vaultdatasource.benchmarks.VaultRequestCounter.Request;
import io.github.vaultdatasource.benchmarks.load.Stats;

import static io.github.vaultdatasource.benchmarks.Report.f;
import static io.github.vaultdatasource.benchmarks.SuiteContext.progress;

/**
 * Startup: the same application started in new JVMs, with vault-datasource issuing the
 * credentials and with static ones, in interleaved pairs, in several rounds; then a few pairs
 * more that record Spring's startup steps and the Vault requests, to break the extra time down.
 */
final class StartupScenario {

	/**
	 * The parts of a start that {@link StartupBreakdown} measures, in the order of the table.
	 */
	private static final List<String> PARTS = List.of("jvm-to-main", "main-to-refresh", "refresh", "configuration",
			"beans-data-source", "issue", "beans-vault-datasource", "beans-spring-vault", "beans-other",
			"refresh-to-ready", "first-query", "classes-loaded", "threads");

	private final SuiteContext suite;

	StartupScenario(SuiteContext suite) {
		this.suite = suite;
	}

	void run() throws Exception {
		Report report = this.suite.report();
		int rounds = this.suite.settings().integer("startup.rounds", 3);
		int runs = this.suite.settings().integer("startup.runs", 8);
		int breakdownRuns = this.suite.settings().integer("startup.breakdown-runs", 3);
		boolean warmUp = Boolean.parseBoolean(this.suite.settings().string("startup.warm-up", "true"));
		this.suite.env().createRole("bench-startup", Duration.ofHours(1), Duration.ofHours(24));
		String classpath = System.getProperty("java.class.path");
		if (warmUp) {
			// One untimed start of each first: the operating system's file cache, not the libraries.
			launch(classpath, false, false);
			launch(classpath, true, false);
		}
		int pairs = rounds * runs;
		double[] staticMillis = new double[pairs];
		double[] vaultMillis = new double[pairs];
		double[] ratios = new double[pairs];
		double[] cpuRatios = new double[pairs];
		double[] staticCpu = new double[pairs];
		double[] vaultCpu = new double[pairs];
		double[] roundRatios = new double[rounds];
		for (int round = 0; round < rounds; round++) {
			double[] ofRound = new double[runs];
			for (int r = 0; r < runs; r++) {
				int i = round * runs + r;
				Pair pair = launchPair(classpath, r, false);
				Launch plain = pair.plain();
				Launch vault = pair.vault();
				staticMillis[i] = plain.millis();
				vaultMillis[i] = vault.millis();
				staticCpu[i] = plain.cpuMillis();
				vaultCpu[i] = vault.cpuMillis();
				ratios[i] = vaultMillis[i] / staticMillis[i];
				cpuRatios[i] = vaultCpu[i] / staticCpu[i];
				ofRound[r] = ratios[i];
				progress(f("  startup round %d pair %d: static %.0f ms, vault-datasource %.0f ms", round, r,
						staticMillis[i], vaultMillis[i]));
			}
			roundRatios[round] = Stats.median(ofRound);
		}
		String spread = f("%d rounds of %d interleaved pairs of separate JVMs; min–max of all pairs", rounds, runs);
		report.row("startup", "time to ready, static credentials (ms)", f("%.0f", Stats.median(staticMillis)),
				f("%s %.0f–%.0f", spread, Stats.min(staticMillis), Stats.max(staticMillis)), "", null);
		report.row("startup", "time to ready, vault-datasource (ms)", f("%.0f", Stats.median(vaultMillis)),
				f("%s %.0f–%.0f", spread, Stats.min(vaultMillis), Stats.max(vaultMillis)), "", null);
		double ratio = Stats.median(roundRatios);
		report.row("startup", "startup ratio vault/static (median of the rounds' medians)", f("%.3f", ratio),
				f("%d rounds of %d pairs; rounds %s; all pairs %.3f–%.3f", rounds, runs, list(roundRatios),
						Stats.min(ratios), Stats.max(ratios)),
				"<= 1.05", ratio <= 1.05);
		report.row("startup", "CPU used until ready, static / vault-datasource (ms)",
				f("%.0f / %.0f, ratio %.3f", Stats.median(staticCpu), Stats.median(vaultCpu), Stats.median(cpuRatios)),
				f("%s ratio %.3f–%.3f", spread, Stats.min(cpuRatios), Stats.max(cpuRatios)), "", null);
		Map<String, Object> raw = new LinkedHashMap<>();
		raw.put("rounds", rounds);
		raw.put("runs", runs);
		raw.put("staticCpuMillis", staticCpu);
		raw.put("vaultCpuMillis", vaultCpu);
		raw.put("cpuRatios", cpuRatios);
		raw.put("staticMillis", staticMillis);
		raw.put("vaultMillis", vaultMillis);
		raw.put("ratios", ratios);
		raw.put("roundRatioMedians", roundRatios);
		raw.put("ratioMedian", ratio);
		raw.put("definition", "wall time from process launch until the application printed that its context "
				+ "is refreshed and a first query answered");
		if (breakdownRuns > 0) {
			raw.put("breakdown", breakdown(classpath, breakdownRuns, report));
		}
		report.raw("startup", raw);
	}

	/**
	 * Start pairs that record where their time went and report the median of each part for both
	 * applications and the median of the pairs' differences. The Vault-backed application talks
	 * to Vault through the suite's counting proxy here, to list the requests it made before ready.
	 */
	private Map<String, Object> breakdown(String classpath, int runs, Report report)
			throws IOException, InterruptedException {
		Map<String, double[]> plain = new LinkedHashMap<>();
		Map<String, double[]> vault = new LinkedHashMap<>();
		for (String part : PARTS) {
			plain.put(part, new double[runs]);
			vault.put(part, new double[runs]);
		}
		double[] plainTotal = new double[runs];
		double[] vaultTotal = new double[runs];
		List<Map<String, Object>> requests = new ArrayList<>();
		List<String> slowestStatic = new ArrayList<>();
		List<String> slowestVault = new ArrayList<>();
		for (int r = 0; r < runs; r++) {
			Pair pair = launchPair(classpath, r, true);
			Launch p = pair.plain();
			Launch v = pair.vault();
			plainTotal[r] = p.millis();
			vaultTotal[r] = v.millis();
			for (String part : PARTS) {
				plain.get(part)[r] = p.breakdown().getOrDefault(part, Double.NaN);
				vault.get(part)[r] = v.breakdown().getOrDefault(part, Double.NaN);
			}
			requests.add(vaultRequests(v));
			slowestStatic.add(p.slowestBeans());
			slowestVault.add(v.slowestBeans());
		}
		String how = f("%d pairs recording Spring's startup steps (not the timed pairs above); median static / "
				+ "vault-datasource / median of the pairs' differences", runs);
		report.row("startup", "breakdown: time to ready (ms)", triple(plainTotal, vaultTotal), how, "", null);
		Map<String, Object> raw = new LinkedHashMap<>();
		for (String part : PARTS) {
			report.row("startup", "breakdown: " + describe(part), triple(plain.get(part), vault.get(part)), how, "",
					null);
			raw.put(part, Map.of("static", plain.get(part), "vaultDatasource", vault.get(part)));
		}
		raw.put("staticMillis", plainTotal);
		raw.put("vaultMillis", vaultTotal);
		raw.put("vaultRequestsBeforeReady", requests);
		raw.put("slowestBeansStatic", slowestStatic);
		raw.put("slowestBeansVault", slowestVault);
		report.row("startup", "breakdown: Vault requests of the start, ms after launch", String.valueOf(requests.get(0)),
				f("first of %d pairs; through the suite's counting proxy; the app was ready at %.0f ms", runs,
						vaultTotal[0]),
				"", null);
		report.row("startup", "breakdown: slowest beans of the vault-datasource app, own time (ms)", slowestVault.get(0),
				f("first of %d pairs; static app: %s", runs, slowestStatic.get(0)), "", null);
		return raw;
	}

	private static String triple(double[] plain, double[] vault) {
		double[] differences = new double[plain.length];
		for (int i = 0; i < plain.length; i++) {
			differences[i] = vault[i] - plain[i];
		}
		return f("%.0f / %.0f / %+.0f", Stats.median(plain), Stats.median(vault), Stats.median(differences));
	}

	private static String describe(String part) {
		return switch (part) {
			case "jvm-to-main" -> "JVM start to main (ms)";
			case "main-to-refresh" -> "main to context refresh: environment, listeners, context (ms)";
			case "refresh" -> "context refresh (ms)";
			case "configuration" -> "of which configuration classes and auto-configuration conditions (ms)";
			case "beans-data-source" -> "of which the DataSource bean's own time, with the library's issue and "
					+ "validation connection (ms)";
			case "issue" -> "of which Vault's answer to the issue request (ms, the library's event)";
			case "beans-vault-datasource" -> "of which the library's other beans, own time (ms)";
			case "beans-spring-vault" -> "of which Spring Vault's beans, own time (ms)";
			case "beans-other" -> "of which all other beans, own time (ms)";
			case "refresh-to-ready" -> "refresh to ready: runners, first query (ms)";
			case "first-query" -> "of which the first query, with the pool's first connection (ms)";
			case "classes-loaded" -> "classes loaded until ready";
			case "threads" -> "live threads at ready";
			default -> part;
		};
	}

	private Map<String, Object> vaultRequests(Launch launch) {
		Map<String, Object> seen = new TreeMap<>();
		Instant ready = Instant.ofEpochMilli(launch.readyEpochMillis());
		for (Request request : this.suite.vaultRequests().since(launch.launched())) {
			long at = Duration.between(launch.launched(), request.time()).toMillis();
			String when = request.time().isAfter(ready) ? "after ready" : "before ready";
			seen.merge(request.kind() + " (" + when + ")", at, (a, b) -> a + ", " + b);
		}
		return seen;
	}

	private static String list(double[] values) {
		StringBuilder text = new StringBuilder("[");
		for (double value : values) {
			text.append((text.length() > 1) ? ", " : "").append(f("%.3f", value));
		}
		return text.append(']').toString();
	}

	// One static and one vault-datasource start, the static one first on even pairs: neither app
	// always gets the warmer second start.
	private Pair launchPair(String classpath, int pair, boolean breakdown) throws IOException, InterruptedException {
		boolean staticFirst = pair % 2 == 0;
		Launch first = launch(classpath, !staticFirst, breakdown);
		Launch second = launch(classpath, staticFirst, breakdown);
		return staticFirst ? new Pair(first, second) : new Pair(second, first);
	}

	private record Pair(Launch plain, Launch vault) {

	}

	/**
	 * Start the benchmark application in a new JVM.
	 * @param breakdown whether it records its startup steps (and the Vault-backed one talks to
	 * Vault through the counting proxy)
	 * @return the wall milliseconds from launch until ready (context refreshed, first query
	 * answered), the CPU milliseconds the JVM had used by then (the latter barely moves when other
	 * processes compete for the CPU), and the breakdown when asked
	 */
	private Launch launch(String classpath, boolean vault, boolean breakdown)
			throws IOException, InterruptedException {
		BenchEnvironment env = this.suite.env();
		List<String> command = new ArrayList<>(List.of(SuiteContext.javaBinary(),
				"-Dbench.log-file=" + this.suite.results().resolve("startup.log").toAbsolutePath(),
				"-Dbench.startup.breakdown=" + breakdown, "-cp", classpath, BenchApplication.class.getName(),
				"--spring.main.web-application-type=none", "--spring.main.banner-mode=off",
				"--spring.datasource.url=" + env.jdbcUrl(),
				"--spring.datasource.hikari.maximum-pool-size=" + this.suite.poolSize()));
		ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
		if (vault) {
			command.add("--vault.uri=" + (breakdown ? this.suite.vaultRequests().address() : env.vaultAddress()));
			command.add("--vault.database.role=bench-startup");
			builder.environment().put("VAULT_TOKEN", env.rootToken());
		}
		else {
			command.add("--vault.enabled=false");
			command.add("--spring.datasource.username=" + BenchEnvironment.STATIC_USER);
			builder.environment().put("SPRING_DATASOURCE_PASSWORD", env.staticPassword());
			builder.environment().remove("VAULT_TOKEN");
		}
		builder.command(command);
		Instant launched = Instant.now();
		long started = System.nanoTime();
		Process process = builder.start();
		Double ready = null;
		double cpu = -1;
		long readyEpoch = 0;
		Map<String, Double> parts = new LinkedHashMap<>();
		String slowest = "";
		StringBuilder output = new StringBuilder();
		try (BufferedReader lines = new BufferedReader(
				new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
			String line;
			while ((line = lines.readLine()) != null) {
				if (ready == null && line.startsWith("BENCH-READY")) {
					ready = (System.nanoTime() - started) / 1e6;
					cpu = Double.parseDouble(line.replaceAll(".*cpu-ms=(-?[0-9]+).*", "$1"));
					readyEpoch = Long.parseLong(line.replaceAll(".*ready-epoch-ms=([0-9]+).*", "$1"));
				}
				if (line.startsWith("BENCH-SLOWEST-BEANS")) {
					slowest = line.substring("BENCH-SLOWEST-BEANS".length()).trim();
				}
				if (line.startsWith("BENCH-BREAKDOWN")) {
					for (String pair : line.substring("BENCH-BREAKDOWN".length()).trim().split(" ")) {
						String[] keyValue = pair.split("=", 2);
						parts.put(keyValue[0], Double.parseDouble(keyValue[1]));
					}
				}
				output.append(line).append('\n');
			}
		}
		if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0 || ready == null) {
			process.destroyForcibly();
			throw new IllegalStateException("Startup run failed:\n" + output);
		}
		return new Launch(ready, cpu, launched, readyEpoch, parts, slowest);
	}

	/**
	 * One start of the application.
	 *
	 * @param millis wall milliseconds from launch until ready
	 * @param cpuMillis CPU milliseconds the JVM used until then
	 * @param launched when it was launched
	 * @param readyEpochMillis when it was ready, by its own clock
	 * @param breakdown the parts of its start, when it recorded them
	 * @param slowestBeans the beans that took longest to create, by their own time
	 */
	private record Launch(double millis, double cpuMillis, Instant launched, long readyEpochMillis,
			Map<String, Double> breakdown, String slowestBeans) {

	}

}
