package io.github.vaultdatasource.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.vaultdatasource.benchmarks.load.Stats;

import static io.github.vaultdatasource.benchmarks.Report.f;
import static io.github.vaultdatasource.benchmarks.SuiteContext.progress;

/**
 * Startup: the same application started in new JVMs, with vault-datasource issuing the
 * credentials and with static ones, in interleaved pairs.
 */
final class StartupScenario {

	private final SuiteContext suite;

	StartupScenario(SuiteContext suite) {
		this.suite = suite;
	}

	void run() throws Exception {
		Report report = this.suite.report();
		int runs = this.suite.settings().integer("startup.runs", 8);
		boolean warmUp = Boolean.parseBoolean(this.suite.settings().string("startup.warm-up", "true"));
		this.suite.env().createRole("bench-startup", Duration.ofHours(1), Duration.ofHours(24));
		String classpath = System.getProperty("java.class.path");
		double[] staticMillis = new double[runs];
		double[] vaultMillis = new double[runs];
		double[] ratios = new double[runs];
		if (warmUp) {
			// One untimed start of each first: the operating system's file cache, not the libraries.
			launch(classpath, false);
			launch(classpath, true);
		}
		double[] cpuRatios = new double[runs];
		double[] staticCpu = new double[runs];
		double[] vaultCpu = new double[runs];
		for (int r = 0; r < runs; r++) {
			boolean staticFirst = r % 2 == 0;
			double[] first = launch(classpath, !staticFirst);
			double[] second = launch(classpath, staticFirst);
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
		report.row("startup", "time to ready, static credentials (ms)", f("%.0f", Stats.median(staticMillis)),
				f("%s %.0f–%.0f", spread, Stats.min(staticMillis), Stats.max(staticMillis)), "", null);
		report.row("startup", "time to ready, vault-datasource (ms)", f("%.0f", Stats.median(vaultMillis)),
				f("%s %.0f–%.0f", spread, Stats.min(vaultMillis), Stats.max(vaultMillis)), "", null);
		double ratio = Stats.median(ratios);
		report.row("startup", "startup ratio vault/static (median of pairs)", f("%.3f", ratio),
				f("%s %.3f–%.3f", spread, Stats.min(ratios), Stats.max(ratios)), "<= 1.15", ratio <= 1.15);
		report.row("startup", "CPU used until ready, static / vault-datasource (ms)",
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
		report.raw("startup", raw);
	}

	/**
	 * Start the benchmark application in a new JVM.
	 * @return the wall milliseconds from launch until ready (context refreshed, first query
	 * answered), and the CPU milliseconds the JVM had used by then (the latter barely moves when
	 * other processes compete for the CPU)
	 */
	private double[] launch(String classpath, boolean vault) throws IOException, InterruptedException {
		BenchEnvironment env = this.suite.env();
		List<String> command = new ArrayList<>(List.of(SuiteContext.javaBinary(),
				"-Dbench.log-file=" + this.suite.results().resolve("startup.log").toAbsolutePath(), "-cp", classpath,
				BenchApplication.class.getName(), "--spring.main.web-application-type=none",
				"--spring.main.banner-mode=off", "--spring.datasource.url=" + env.jdbcUrl(),
				"--spring.datasource.hikari.maximum-pool-size=" + this.suite.poolSize()));
		ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
		if (vault) {
			command.add("--vault.uri=" + env.vaultAddress());
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

}
