package io.github.vaultdatasource.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.vaultdatasource.benchmarks.load.Samples;
import io.github.vaultdatasource.benchmarks.load.Stats;

/**
 * A run's queries second by second, for the JSON file.
 */
final class LatencySeries {

	private LatencySeries() {
	}

	/**
	 * Per second of the run: queries, failed queries, p50, p99 and max latency.
	 * @param samples the run's queries
	 * @return one map per second
	 */
	static List<Map<String, Object>> bySecond(Samples samples) {
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

}
