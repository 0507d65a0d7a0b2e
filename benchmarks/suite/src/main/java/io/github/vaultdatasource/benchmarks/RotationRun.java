package io.github.vaultdatasource.benchmarks;

import java.util.List;
import java.util.Map;

import io.github.vaultdatasource.benchmarks.VaultRequestCounter.Request;
import io.github.vaultdatasource.benchmarks.load.Samples;

/**
 * What one run of vault-datasource under load collected: every query, the measured rotations,
 * HikariCP's counters, the library's event counts and the Vault requests on the wire.
 *
 * @param samples every query, times from the load's origin
 * @param measuredFrom where measuring starts (after warm-up)
 * @param rotations the rotations completed after {@code measuredFrom}
 * @param allRotations every rotation of the run, warm-up included
 * @param connectionTimeouts {@code hikaricp.connections.timeout}
 * @param connectionsCreated physical connections HikariCP opened, and their mean time in ms
 * @param eventCounts the library's events by kind
 * @param requests the Vault requests of the run
 */
record RotationRun(Samples samples, long measuredFrom, List<RotationTimings> rotations, int allRotations,
		long connectionTimeouts, double[] connectionsCreated, Map<String, Long> eventCounts, List<Request> requests) {

	List<long[]> windows() {
		return this.rotations.stream().map(RotationTimings::window).toList();
	}

	RotationAnalysis analyse(boolean controlAfterLast) {
		return RotationAnalysis.of(this.samples, windows(), this.measuredFrom, controlAfterLast);
	}

}
