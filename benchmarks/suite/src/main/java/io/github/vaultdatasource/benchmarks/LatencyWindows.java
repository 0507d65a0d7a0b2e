package io.github.vaultdatasource.benchmarks;

import java.util.Arrays;
import java.util.List;

/**
 * Time windows (nanoseconds from a run's origin), such as rotations, with a fast membership test.
 */
final class LatencyWindows {

	private final long[] starts;

	private final long[] ends;

	LatencyWindows(List<long[]> windows) {
		List<long[]> sorted = windows.stream().sorted((a, b) -> Long.compare(a[0], b[0])).toList();
		this.starts = sorted.stream().mapToLong((w) -> w[0]).toArray();
		this.ends = sorted.stream().mapToLong((w) -> w[1]).toArray();
	}

	boolean contains(long nanos) {
		int at = Arrays.binarySearch(this.starts, nanos);
		int index = (at >= 0) ? at : -at - 2;
		// Windows do not overlap in practice, but look one back in case they do.
		for (int i = index; i >= 0 && i >= index - 1; i--) {
			if (nanos >= this.starts[i] && nanos <= this.ends[i]) {
				return true;
			}
		}
		return false;
	}

	int size() {
		return this.starts.length;
	}

	long start(int i) {
		return this.starts[i];
	}

	long end(int i) {
		return this.ends[i];
	}

	long totalNanos() {
		long total = 0;
		for (int i = 0; i < this.starts.length; i++) {
			total += this.ends[i] - this.starts[i];
		}
		return total;
	}

}
