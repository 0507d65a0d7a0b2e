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
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import io.github.vaultdatasource.benchmarks.load.Stats;
import org.jspecify.annotations.Nullable;

import static io.github.vaultdatasource.benchmarks.Report.f;
import static io.github.vaultdatasource.benchmarks.SuiteContext.progress;

/**
 * Cost per managed pool: retained heap and live threads of an application with one and with ten
 * HikariCP pools managed by vault-datasource, against the same application with the same pools on
 * static credentials and Vault disabled ({@link PoolCostApplication}, one JVM per measurement,
 * the four kinds interleaved in each round).
 */
final class PoolCostScenario {

	private final SuiteContext suite;

	PoolCostScenario(SuiteContext suite) {
		this.suite = suite;
	}

	void run() throws Exception {
		BenchSettings settings = this.suite.settings();
		int rounds = settings.integer("cost.runs", 3);
		int many = settings.integer("cost.pools", 10);
		int poolSize = settings.integer("cost.pool-size", this.suite.poolSize());
		this.suite.env().createRole("bench-cost", Duration.ofHours(1), Duration.ofHours(24));
		int[] counts = { 1, many };
		double[][] heapStatic = new double[2][rounds];
		double[][] heapVault = new double[2][rounds];
		double[][] threadsStatic = new double[2][rounds];
		double[][] threadsVault = new double[2][rounds];
		Map<String, Integer> addedThreads = new TreeMap<>();
		for (int r = 0; r < rounds; r++) {
			for (int c = 0; c < 2; c++) {
				boolean staticFirst = (r + c) % 2 == 0;
				Measurement first = launch(counts[c], poolSize, !staticFirst);
				Measurement second = launch(counts[c], poolSize, staticFirst);
				Measurement plain = staticFirst ? first : second;
				Measurement vault = staticFirst ? second : first;
				heapStatic[c][r] = plain.heapBytes();
				heapVault[c][r] = vault.heapBytes();
				threadsStatic[c][r] = plain.threads();
				threadsVault[c][r] = vault.threads();
				if (c == 1 && r == 0) {
					vault.names().forEach((name, n) -> {
						int added = n - plain.names().getOrDefault(name, 0);
						if (added != 0) {
							addedThreads.put(name, added);
						}
					});
				}
				progress(f("  %d pool(s): static %.1f MB %d threads, vault-datasource %.1f MB %d threads", counts[c],
						plain.heapBytes() / 1e6, plain.threads(), vault.heapBytes() / 1e6, vault.threads()));
			}
		}
		Report report = this.suite.report();
		String spread = f("median of %d rounds, one JVM each, pools of %d connections, all open; min–max", rounds,
				poolSize);
		Map<String, Object> raw = new LinkedHashMap<>();
		double[] perPool = new double[2];
		double[] threadsPerPool = new double[2];
		for (int c = 0; c < 2; c++) {
			double[] heapAdded = difference(heapVault[c], heapStatic[c]);
			double[] threadsAdded = difference(threadsVault[c], threadsStatic[c]);
			perPool[c] = Stats.median(heapAdded) / counts[c];
			threadsPerPool[c] = Stats.median(threadsAdded) / counts[c];
			report.row("pool cost", f("%d managed pool(s): retained heap added (MB)", counts[c]),
					f("%.2f (%.2f per pool)", Stats.median(heapAdded) / 1e6, perPool[c] / 1e6),
					f("%s %.2f–%.2f; static app %.1f MB, vault-datasource %.1f MB", spread, Stats.min(heapAdded) / 1e6,
							Stats.max(heapAdded) / 1e6, Stats.median(heapStatic[c]) / 1e6,
							Stats.median(heapVault[c]) / 1e6),
					"", null);
			report.row("pool cost", f("%d managed pool(s): live threads added", counts[c]),
					f("%.0f (%.1f per pool)", Stats.median(threadsAdded), threadsPerPool[c]),
					f("%s %.0f–%.0f; static app %.0f, vault-datasource %.0f", spread, Stats.min(threadsAdded),
							Stats.max(threadsAdded), Stats.median(threadsStatic[c]), Stats.median(threadsVault[c])),
					"", null);
			Map<String, Object> one = new LinkedHashMap<>();
			one.put("pools", counts[c]);
			one.put("heapBytesStatic", heapStatic[c]);
			one.put("heapBytesVault", heapVault[c]);
			one.put("threadsStatic", threadsStatic[c]);
			one.put("threadsVault", threadsVault[c]);
			raw.put("pools" + counts[c], one);
		}
		// What each pool beyond the first costs: the difference between ten and one, per extra pool.
		double marginalHeap = (perPool[1] * counts[1] - perPool[0]) / (counts[1] - 1);
		double marginalThreads = (threadsPerPool[1] * counts[1] - threadsPerPool[0]) / (counts[1] - 1);
		report.row("pool cost", "each managed pool beyond the first: heap (MB) / threads",
				f("%.2f / %.1f", marginalHeap / 1e6, marginalThreads),
				f("(%d pools − 1 pool) / %d, medians; threads added with %d pools: %s", counts[1], counts[1] - 1,
						counts[1], addedThreads),
				"<= 1 MB / <= 1", marginalHeap <= 1e6 && marginalThreads <= 1);
		raw.put("threadsAddedByName", addedThreads);
		int idleSeconds = settings.integer("cost.idle-seconds", 35);
		if (idleSeconds > 0) {
			// Diagnosis: the library's threads end after 30 s idle; how many are left then.
			Measurement idle = launch(many, poolSize, true, idleSeconds);
			Measurement after = idle.idle();
			report.row("pool cost", f("%d managed pools: live threads at full / after %d s idle", many, idleSeconds),
					f("%d / %d", idle.threads(), (after != null) ? after.threads() : -1),
					f("diagnosis, one JVM; vault-datasource threads by name at full %s, after %s", libraryThreads(idle),
							(after != null) ? libraryThreads(after) : "n/a"),
					"", null);
			raw.put("idle", Map.of("seconds", idleSeconds, "threadsAtFull", idle.threads(), "threadsAfterIdle",
					(after != null) ? after.threads() : -1));
		}
		raw.put("definition", "heap in use after repeated System.gc() until it stops falling, and live threads, "
				+ "once every pool is open and full; the same application with vault.enabled=false and static "
				+ "credentials is the baseline");
		report.raw("poolCost", raw);
	}

	private static double[] difference(double[] a, double[] b) {
		double[] d = new double[a.length];
		for (int i = 0; i < a.length; i++) {
			d[i] = a[i] - b[i];
		}
		return d;
	}

	private static Map<String, Integer> libraryThreads(Measurement measurement) {
		Map<String, Integer> threads = new TreeMap<>();
		measurement.names().forEach((name, count) -> {
			if (name.startsWith("vault")) {
				threads.put(name, count);
			}
		});
		return threads;
	}

	private Measurement launch(int pools, int poolSize, boolean vault) throws IOException, InterruptedException {
		return launch(pools, poolSize, vault, 0);
	}

	private Measurement launch(int pools, int poolSize, boolean vault, int idleSeconds)
			throws IOException, InterruptedException {
		BenchEnvironment env = this.suite.env();
		List<String> command = new ArrayList<>(List.of(SuiteContext.javaBinary(),
				"-Dbench.log-file=" + this.suite.results().resolve("pool-cost.log").toAbsolutePath(), "-cp",
				System.getProperty("java.class.path"), PoolCostApplication.class.getName(),
				"--spring.main.web-application-type=none", "--spring.main.banner-mode=off",
				"--spring.datasource.url=" + env.jdbcUrl(), "--bench.pools=" + pools, "--bench.pool-size=" + poolSize,
				"--bench.idle-seconds=" + idleSeconds));
		ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
		if (vault) {
			command.add("--vault.uri=" + env.vaultAddress());
			// Only pools named in vault.datasources get Vault credentials (none of these is 'dataSource').
			for (int i = 0; i < pools; i++) {
				command.add("--vault.datasources.pool" + i + ".role=bench-cost");
			}
			builder.environment().put("VAULT_TOKEN", env.rootToken());
		}
		else {
			command.add("--vault.enabled=false");
			command.add("--spring.datasource.username=" + BenchEnvironment.STATIC_USER);
			builder.environment().put("SPRING_DATASOURCE_PASSWORD", env.staticPassword());
			builder.environment().remove("VAULT_TOKEN");
		}
		builder.command(command);
		Process process = builder.start();
		String result = null;
		String idle = null;
		StringBuilder output = new StringBuilder();
		try (BufferedReader lines = new BufferedReader(
				new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
			String line;
			while ((line = lines.readLine()) != null) {
				if (line.startsWith("BENCH-COST ")) {
					result = line;
				}
				if (line.startsWith("BENCH-COST-IDLE ")) {
					idle = line;
				}
				output.append(line).append('\n');
			}
		}
		if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0 || result == null) {
			process.destroyForcibly();
			throw new IllegalStateException("Pool cost run failed:\n" + output);
		}
		Measurement measurement = Measurement.parse(result);
		return (idle != null) ? measurement.withIdle(Measurement.parse(idle)) : measurement;
	}

	/**
	 * One JVM's figures.
	 *
	 * @param heapBytes heap in use after collection
	 * @param threads live threads
	 * @param names live threads by name, digits folded
	 * @param idle the live threads after a while idle, when measured
	 */
	record Measurement(long heapBytes, int threads, Map<String, Integer> names, @Nullable Measurement idle) {

		Measurement withIdle(Measurement idle) {
			return new Measurement(this.heapBytes, this.threads, this.names, idle);
		}

		static Measurement parse(String line) {
			Map<String, String> fields = new LinkedHashMap<>();
			for (String field : line.substring(line.indexOf(' ') + 1).split(" ")) {
				fields.put(field.substring(0, field.indexOf('=')), field.substring(field.indexOf('=') + 1));
			}
			Map<String, Integer> names = new TreeMap<>();
			for (String entry : fields.get("names").split(";")) {
				if (entry.contains("=")) {
					names.put(entry.substring(0, entry.lastIndexOf('=')),
							Integer.parseInt(entry.substring(entry.lastIndexOf('=') + 1)));
				}
			}
			return new Measurement(Long.parseLong(fields.getOrDefault("heap-bytes", "-1")),
					Integer.parseInt(fields.get("threads")), names, null);
		}

	}

}
