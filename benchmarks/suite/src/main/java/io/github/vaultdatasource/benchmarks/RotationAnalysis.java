package io.github.vaultdatasource.benchmarks;

import java.util.ArrayList;
import java.util.List;

import io.github.vaultdatasource.benchmarks.load.Samples;
import io.github.vaultdatasource.benchmarks.load.Stats;

/**
 * Latency inside rotation windows against outside them, and against control windows of the same
 * lengths placed halfway between rotations (what the machine's own noise looks like), for one run.
 * Only queries started after {@code measuredFrom} count towards the totals.
 */
final class RotationAnalysis {

	final LatencyWindows inRotation;

	final LatencyWindows control;

	final long measuredFrom;

	final long measuredTo;

	final int insideQueries;

	final int outsideQueries;

	final int controlQueries;

	final double p50In;

	final double p99In;

	final double maxIn;

	final double p50Out;

	final double p99Out;

	final double maxOut;

	final double p99Control;

	final double maxControl;

	/** Per rotation window: its p99 over the steady p99 (outside rotations). */
	final double[] windowP99;

	/** Per rotation window: its slowest query over the steady p99. */
	final double[] windowMax;

	/** Per control window: its slowest query over the steady p99. */
	final double[] controlMax;

	/** Per rotation window: its slowest query, milliseconds. */
	final double[] windowMaxMillis;

	/** Per control window: its slowest query, milliseconds. */
	final double[] controlMaxMillis;

	/**
	 * Slowest query over the rotations that have a control window after them: as many rotation
	 * windows as control windows, of the same lengths.
	 */
	final double maxInPaired;

	private RotationAnalysis(Samples samples, LatencyWindows inRotation, LatencyWindows control, long measuredFrom) {
		this.inRotation = inRotation;
		this.control = control;
		this.measuredFrom = measuredFrom;
		this.measuredTo = samples.size() > 0 ? samples.start(samples.size() - 1) : 0;
		long[] inside = samples.latencies((start) -> start >= measuredFrom && inRotation.contains(start));
		long[] outside = samples.latencies((start) -> start >= measuredFrom && !inRotation.contains(start));
		this.insideQueries = inside.length;
		this.outsideQueries = outside.length;
		this.p50In = Stats.millis(Stats.percentile(inside, 50));
		this.p99In = Stats.millis(Stats.percentile(inside, 99));
		this.maxIn = Stats.millis(Stats.percentile(inside, 100));
		this.p50Out = Stats.millis(Stats.percentile(outside, 50));
		this.p99Out = Stats.millis(Stats.percentile(outside, 99));
		this.maxOut = Stats.millis(Stats.percentile(outside, 100));
		this.windowP99 = new double[inRotation.size()];
		this.windowMax = new double[inRotation.size()];
		this.windowMaxMillis = new double[inRotation.size()];
		for (int w = 0; w < inRotation.size(); w++) {
			long[] latencies = within(samples, inRotation, w);
			this.windowP99[w] = Stats.millis(Stats.percentile(latencies, 99)) / this.p99Out;
			this.windowMaxMillis[w] = Stats.millis(Stats.percentile(latencies, 100));
			this.windowMax[w] = this.windowMaxMillis[w] / this.p99Out;
		}
		long[] inControl = samples.latencies((start) -> start >= measuredFrom && control.contains(start));
		this.controlQueries = inControl.length;
		this.p99Control = Stats.millis(Stats.percentile(inControl, 99));
		this.maxControl = Stats.millis(Stats.percentile(inControl, 100));
		double paired = 0;
		for (int c = 0; c < control.size(); c++) {
			paired = Math.max(paired, this.windowMaxMillis[pairedRotation(inRotation, control, c)]);
		}
		this.maxInPaired = paired;
		this.controlMax = new double[control.size()];
		this.controlMaxMillis = new double[control.size()];
		for (int w = 0; w < control.size(); w++) {
			this.controlMaxMillis[w] = Stats.millis(Stats.percentile(within(samples, control, w), 100));
			this.controlMax[w] = this.controlMaxMillis[w] / this.p99Out;
		}
	}

	/**
	 * Analyse a run.
	 * @param samples the run's queries
	 * @param rotations the rotation windows, nanoseconds from the run's origin
	 * @param measuredFrom where measuring starts (after warm-up)
	 * @param controlAfterLast whether to place a control window after the last rotation too, so
	 * that there are as many control windows as rotations (the load must go on long enough)
	 * @return the figures
	 */
	static RotationAnalysis of(Samples samples, List<long[]> rotations, long measuredFrom, boolean controlAfterLast) {
		LatencyWindows inRotation = new LatencyWindows(rotations);
		long measuredTo = samples.size() > 0 ? samples.start(samples.size() - 1) : 0;
		return new RotationAnalysis(samples, inRotation, controlWindows(inRotation, controlAfterLast, measuredTo),
				measuredFrom);
	}

	/**
	 * Windows of the same lengths as the rotations, each halfway between a rotation and the next
	 * (and, if asked, between the last rotation and the end of the load).
	 */
	private static LatencyWindows controlWindows(LatencyWindows inRotation, boolean afterLast, long measuredTo) {
		List<long[]> controlList = new ArrayList<>();
		for (int w = 0; w < inRotation.size(); w++) {
			long length = inRotation.end(w) - inRotation.start(w);
			boolean last = w + 1 == inRotation.size();
			if (last && !afterLast) {
				break;
			}
			long next = last ? measuredTo : inRotation.start(w + 1);
			long middle = (inRotation.end(w) + next) / 2;
			if (middle + length / 2 < next) {
				controlList.add(new long[] { middle - length / 2, middle + length / 2 });
			}
		}
		return new LatencyWindows(controlList);
	}

	/**
	 * Return the rotation a control window belongs to: the last one that ended before it.
	 */
	private static int pairedRotation(LatencyWindows inRotation, LatencyWindows control, int c) {
		int w = 0;
		while (w + 1 < inRotation.size() && inRotation.end(w + 1) <= control.start(c)) {
			w++;
		}
		return w;
	}

	private static long[] within(Samples samples, LatencyWindows windows, int w) {
		long from = windows.start(w);
		long to = windows.end(w);
		return samples.latencies((start) -> start >= from && start <= to);
	}

	/**
	 * Return the index of the rotation whose slowest query is the median of all rotations'.
	 * @return the index, or -1 without rotations
	 */
	int typicalRotation() {
		if (this.windowMax.length == 0) {
			return -1;
		}
		int typical = 0;
		double median = Stats.median(this.windowMax);
		for (int w = 0; w < this.windowMax.length; w++) {
			if (Math.abs(this.windowMax[w] - median) < Math.abs(this.windowMax[typical] - median)) {
				typical = w;
			}
		}
		return typical;
	}

}
