package io.github.vaultdatasource.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.github.vaultdatasource.benchmarks.Report.f;
import static io.github.vaultdatasource.benchmarks.SuiteContext.progress;

/**
 * Runs every benchmark scenario in one invocation against the real OpenBao and PostgreSQL that
 * {@code scripts/services.sh up} started: query-path overhead ({@link QueryPathScenario}), the
 * rotation stress test on short leases ({@link RotationScenario}), the headline run of forced
 * rotations on realistic leases ({@link HeadlineScenario}), the incumbents (Spring Cloud Vault and
 * HashiCorp's tutorial patterns, each in its own JVM, {@link IncumbentScenario}), startup in
 * separate JVMs ({@link StartupScenario}), the cost per managed pool ({@link PoolCostScenario}) and
 * a simulated fleet's Vault request rate ({@link FleetScenario}). Prints a table, writes the raw figures as
 * JSON and the latency plot as PNG. Started by {@code scripts/bench.sh}.
 */
public final class BenchmarkSuite {

	private final SuiteContext suite;

	private BenchmarkSuite(SuiteContext suite) {
		this.suite = suite;
	}

	public static void main(String[] args) throws Exception {
		Path envFile = Path.of(System.getProperty("bench.env-file", ".vds/env"));
		Path results = Path.of(System.getProperty("bench.results-dir", "benchmarks/results"));
		Files.createDirectories(results);
		BenchEnvironment env = BenchEnvironment.load(envFile);
		try (VaultRequestCounter vaultRequests = new VaultRequestCounter(env.vaultAddress())) {
			new BenchmarkSuite(new SuiteContext(env, results, vaultRequests)).runAll();
		}
	}

	private void runAll() throws Exception {
		long started = System.nanoTime();
		String loadAtStart = loadAverage();
		progress("load average at start: " + loadAtStart);
		Report report = this.suite.report();
		List<String> scenarios = List.of(this.suite.settings()
			.string("scenarios", "overhead,rotation,headline,incumbent,startup,cost,fleet")
			.split(","));
		this.suite.env().createStaticUser();
		for (String scenario : scenarios) {
			String name = scenario.trim();
			progress("scenario " + name);
			try {
				switch (name) {
					case "overhead" -> new QueryPathScenario(this.suite).run();
					case "rotation" -> new RotationScenario(this.suite).run();
					case "headline" -> new HeadlineScenario(this.suite).run();
					case "incumbent" -> new IncumbentScenario(this.suite).run();
					case "startup" -> new StartupScenario(this.suite).run();
					case "cost" -> new PoolCostScenario(this.suite).run();
					case "fleet" -> new FleetScenario(this.suite).run();
					default -> throw new IllegalArgumentException("Unknown scenario " + name);
				}
			}
			catch (Exception ex) {
				progress("scenario " + name + " FAILED: " + ex);
				ex.printStackTrace();
				report.row(name, "scenario failed", String.valueOf(ex.getMessage()), "", "", false);
			}
		}
		String logFile = System.getProperty("bench.log-file");
		if (logFile != null) {
			long passwords = this.suite.vaultRequests().countPasswordsIn(Path.of(logFile));
			report.row("secrets", "vault-datasource: issued passwords in its log", Long.toString(passwords),
					"occurrences of any password Vault issued during the suite in the log of every in-JVM scenario",
					"0", passwords == 0);
		}
		report.raw("settings", this.suite.settings().used());
		Map<String, Object> machine = machine();
		machine.put("loadAverageAtStart", loadAtStart);
		report.raw("machine", machine);
		report.raw("suiteSeconds", (System.nanoTime() - started) / 1e9);
		Path results = this.suite.results();
		String stamp = Instant.now().toString().replace(":", "").replaceAll("\\..*", "");
		report.writeJson(results.resolve("bench-" + stamp + ".json"));
		report.writeJson(results.resolve("latest.json"));
		if (!this.suite.panels().isEmpty()) {
			LatencyPlot.draw(results.resolve("latency.png"), this.suite.panels());
		}
		System.out.println();
		report.printTable(System.out);
		System.out.println();
		System.out.println(f("raw figures: %s, plot: %s, suite time %.0f s; load average at start %s, at end %s",
				results.resolve("latest.json"), results.resolve("latency.png"), (System.nanoTime() - started) / 1e9,
				loadAtStart, loadAverage()));
	}

	private static String loadAverage() {
		try {
			return Files.readString(Path.of("/proc/loadavg")).trim();
		}
		catch (IOException ex) {
			return "unknown";
		}
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
			machine.put("loadAverage", loadAverage());
		}
		catch (IOException ex) {
			machine.put("procError", ex.getMessage());
		}
		return machine;
	}

}
