package io.github.vaultdatasource.benchmarks.load;

import java.util.Arrays;

/**
 * Percentiles and spreads, computed the same way for every figure.
 */
public final class Stats {

	private Stats() {
	}

	/**
	 * Return a percentile of sorted values, nearest-rank.
	 * @param sorted the values, ascending
	 * @param percentile from 0 to 100
	 * @return the value, or 0 for no values
	 */
	public static long percentile(long[] sorted, double percentile) {
		if (sorted.length == 0) {
			return 0;
		}
		int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
		return sorted[Math.min(Math.max(rank - 1, 0), sorted.length - 1)];
	}

	/**
	 * Return a percentile of unsorted values, nearest-rank.
	 * @param values the values
	 * @param percentile from 0 to 100
	 * @return the value, or {@code NaN} for no values
	 */
	public static double percentile(double[] values, double percentile) {
		if (values.length == 0) {
			return Double.NaN;
		}
		double[] sorted = values.clone();
		Arrays.sort(sorted);
		int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
		return sorted[Math.min(Math.max(rank - 1, 0), sorted.length - 1)];
	}

	public static double median(double[] values) {
		if (values.length == 0) {
			return Double.NaN;
		}
		double[] sorted = values.clone();
		Arrays.sort(sorted);
		int middle = sorted.length / 2;
		return (sorted.length % 2 == 1) ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
	}

	public static double min(double[] values) {
		return Arrays.stream(values).min().orElse(Double.NaN);
	}

	public static double max(double[] values) {
		return Arrays.stream(values).max().orElse(Double.NaN);
	}

	public static double millis(long nanos) {
		return nanos / 1_000_000.0;
	}

}
