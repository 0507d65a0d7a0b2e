package io.github.vaultdatasource.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.vaultdatasource.benchmarks.load.Samples;

/**
 * Where in a rotation the slow queries start: for each step (issue, validation, surge, drain, the
 * wait before the revocation, the revocation) and for the control windows, how many queries slower
 * than a threshold started in it, in how many seconds of it, and the slowest. The slowest-query
 * figure is one maximum, which cannot show its cause; these rates can.
 */
final class RotationPhases {

	static final String CONTROL = "control windows";

	private static final String[] STEPS = { "issue", "validation", "surge", "drain", "revoke wait", "revoke" };

	private RotationPhases() {
	}

	/**
	 * Count one run's slow queries by step.
	 * @param run the run
	 * @param analysis its analysis (for the control windows)
	 * @param thresholdMillis what counts as slow
	 * @return per step and for the control windows: slow queries, seconds, slowest query (ms)
	 */
	static Map<String, double[]> count(RotationRun run, RotationAnalysis analysis, double thresholdMillis) {
		long threshold = (long) (thresholdMillis * 1_000_000);
		List<List<long[]>> steps = new ArrayList<>();
		for (int s = 0; s < STEPS.length; s++) {
			steps.add(new ArrayList<>());
		}
		for (RotationTimings rotation : run.rotations()) {
			long[] bounds = bounds(rotation);
			for (int s = 0; s < STEPS.length; s++) {
				steps.get(s).add(new long[] { bounds[s], bounds[s + 1] });
			}
		}
		List<long[]> controls = new ArrayList<>();
		for (int c = 0; c < analysis.control.size(); c++) {
			controls.add(new long[] { analysis.control.start(c), analysis.control.end(c) });
		}
		Map<String, double[]> counts = new LinkedHashMap<>();
		for (int s = 0; s < STEPS.length; s++) {
			counts.put(STEPS[s], count(run.samples(), steps.get(s), threshold));
		}
		counts.put(CONTROL, count(run.samples(), controls, threshold));
		return counts;
	}

	/**
	 * Add one run's counts to a total.
	 * @param total the total, changed
	 * @param counts the run's counts
	 */
	static void add(Map<String, double[]> total, Map<String, double[]> counts) {
		counts.forEach((step, value) -> total.merge(step, value.clone(),
				(a, b) -> new double[] { a[0] + b[0], a[1] + b[1], Math.max(a[2], b[2]) }));
	}

	/**
	 * Describe counts: per step, slow queries per second (count in seconds, slowest ms).
	 * @param counts the counts
	 * @return one line
	 */
	static String describe(Map<String, double[]> counts) {
		StringBuilder line = new StringBuilder();
		counts.forEach((step, value) -> line.append(line.isEmpty() ? "" : (step.equals(CONTROL) ? "; " : ", "))
			.append(step)
			.append(' ')
			.append(Report.f("%.1f/s (%.0f in %.1f s, slowest %.0f)", (value[1] > 0) ? value[0] / value[1] : 0.0,
					value[0], value[1], value[2])));
		return line.toString();
	}

	/**
	 * Describe a run's first failed queries: when each started, its SQLState, and the step of the
	 * measured rotation it started in, so that a failure can be traced to its cause from the log.
	 * @param run the run
	 * @param limit how many to describe at most
	 * @return one line per failed query
	 */
	static List<String> failures(RotationRun run, int limit) {
		List<String> lines = new ArrayList<>();
		Samples samples = run.samples();
		for (int i = 0; i < samples.size() && lines.size() < limit; i++) {
			if (!samples.succeeded(i)) {
				long start = samples.start(i);
				lines.add(Report.f("failed query at %.3f s (SQLState %s, after %.0f ms): %s", start / 1e9,
						samples.failureState(i), samples.latency(i) / 1e6, where(run.rotations(), start)));
			}
		}
		return lines;
	}

	private static String where(List<RotationTimings> rotations, long start) {
		for (int r = 0; r < rotations.size(); r++) {
			long[] bounds = bounds(rotations.get(r));
			for (int s = 0; s < STEPS.length; s++) {
				if (start >= bounds[s] && start < bounds[s + 1]) {
					return Report.f("step '%s' of measured rotation %d (%.0f ms into the step)", STEPS[s], r + 1,
							(start - bounds[s]) / 1e6);
				}
			}
		}
		return "outside the measured rotations (warm-up included)";
	}

	// Where each step begins, and where the last ends: STEPS.length + 1 instants.
	private static long[] bounds(RotationTimings rotation) {
		long drained = rotation.drainedNanos();
		return new long[] { rotation.startNanos(), rotation.issuedNanos(), rotation.switchedNanos(),
				rotation.evictedNanos(), drained, drained + rotation.revokeWait().toNanos(), rotation.endNanos() };
	}

	private static double[] count(Samples samples, List<long[]> windows, long threshold) {
		LatencyWindows within = new LatencyWindows(windows);
		int slow = 0;
		long slowest = 0;
		for (int i = 0; i < samples.size(); i++) {
			if (within.contains(samples.start(i))) {
				long latency = samples.latency(i);
				slowest = Math.max(slowest, latency);
				if (latency > threshold) {
					slow++;
				}
			}
		}
		return new double[] { slow, within.totalNanos() / 1e9, slowest / 1e6 };
	}

}
