package io.github.vaultdatasource.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import io.github.vaultdatasource.benchmarks.load.QueryLoad;
import io.github.vaultdatasource.benchmarks.load.Samples;
import io.github.vaultdatasource.benchmarks.load.Stats;

import org.springframework.context.ConfigurableApplicationContext;

import static io.github.vaultdatasource.benchmarks.Report.f;
import static io.github.vaultdatasource.benchmarks.SuiteContext.progress;

/**
 * Query-path overhead: plain HikariCP and the vault-datasource pool (a 1 h lease, so no rotation)
 * built by the same application from the same settings, measured in rounds with both pools at once.
 */
final class QueryPathScenario {

	private final SuiteContext suite;

	QueryPathScenario(SuiteContext suite) {
		this.suite = suite;
	}

	void run() throws Exception {
		BenchSettings settings = this.suite.settings();
		Report report = this.suite.report();
		int workers = settings.integer("overhead.workers", 8);
		int rounds = settings.integer("overhead.rounds", 16);
		Duration round = settings.duration("overhead.round", "2s");
		Duration warmup = settings.duration("overhead.warmup", "5s");
		this.suite.env().createRole("bench-steady", Duration.ofHours(1), Duration.ofHours(24));
		try (ConfigurableApplicationContext plain = SuiteContext.start(this.suite.staticProperties("plain"));
				ConfigurableApplicationContext vault = SuiteContext
					.start(this.suite.vaultProperties("vault", "bench-steady"))) {
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
			report.row("query path", "throughput plain HikariCP (q/s)", f("%.0f", Stats.median(throughputA)),
					f("%s %.0f–%.0f", spread, Stats.min(throughputA), Stats.max(throughputA)), "", null);
			report.row("query path", "throughput vault-datasource (q/s)", f("%.0f", Stats.median(throughputB)),
					f("%s %.0f–%.0f", spread, Stats.min(throughputB), Stats.max(throughputB)), "", null);
			double pooled = Arrays.stream(throughputB).sum() / Arrays.stream(throughputA).sum();
			report.row("query path", "throughput ratio b/a (median of rounds)", f("%.3f", ratio),
					f("%s %.3f–%.3f; all rounds pooled %.3f", spread, Stats.min(throughputRatio),
							Stats.max(throughputRatio), pooled),
					">= 0.98", ratio >= 0.98);
			report.row("query path", "p50 plain / vault-datasource (ms)",
					f("%.3f / %.3f", Stats.median(p50A), Stats.median(p50B)),
					f("%s ratio %.3f–%.3f", spread, Stats.min(p50Ratio), Stats.max(p50Ratio)), "", null);
			report.row("query path", "p99 plain / vault-datasource (ms)",
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
			report.raw("queryPathOverhead", raw);
		}
	}

	private static Run[] measureTogether(DataSource first, DataSource second, int workersEach, Duration duration)
			throws InterruptedException {
		long origin = System.nanoTime();
		QueryLoad loadFirst = QueryLoad.start(first, workersEach, origin);
		QueryLoad loadSecond = QueryLoad.start(second, workersEach, origin);
		Thread.sleep(duration.toMillis());
		Samples samplesFirst = loadFirst.stop();
		Samples samplesSecond = loadSecond.stop();
		return new Run[] { Run.of(samplesFirst, duration), Run.of(samplesSecond, duration) };
	}

	private static Run measure(DataSource dataSource, int workers, Duration duration) throws InterruptedException {
		long origin = System.nanoTime();
		QueryLoad load = QueryLoad.start(dataSource, workers, origin);
		Thread.sleep(duration.toMillis());
		return Run.of(load.stop(), duration);
	}

	/**
	 * One pool's figures over one round: successful queries started within the round.
	 */
	record Run(double throughput, double p50Millis, double p99Millis, long queries, long failures) {

		static Run of(Samples samples, Duration duration) {
			long window = duration.toNanos();
			long queries = samples.count((start) -> start <= window) - samples.failures((start) -> start <= window);
			long[] latencies = samples.latencies((start) -> start <= window);
			return new Run(queries / (window / 1e9), Stats.millis(Stats.percentile(latencies, 50)),
					Stats.millis(Stats.percentile(latencies, 99)), queries, samples.failures());
		}

		Map<String, Object> toMap() {
			return Map.of("throughput", this.throughput, "p50Millis", this.p50Millis, "p99Millis", this.p99Millis,
					"queries", this.queries, "failures", this.failures);
		}

	}

}
