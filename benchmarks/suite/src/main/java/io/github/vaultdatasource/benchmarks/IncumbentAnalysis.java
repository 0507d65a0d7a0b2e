package io.github.vaultdatasource.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import io.github.vaultdatasource.benchmarks.VaultRequestCounter.Request;
import io.github.vaultdatasource.benchmarks.load.Samples;

/**
 * An incumbent's run judged at its lease's {@code max_ttl}: failed queries and throughput before
 * and after it, and whether it serves again by the end of the run without a restart.
 */
final class IncumbentAnalysis {

	/** When the lease behind the pool was issued, as seen on the wire. */
	final Instant issued;

	/** When that lease crossed {@code max_ttl}, nanoseconds from the load's origin. */
	final long crossing;

	final long firstFailure;

	final long before;

	final long failedBefore;

	final long after;

	final long failedAfter;

	final long runNanos;

	final long lastFive;

	final long lastFiveFailed;

	final boolean recovered;

	final double rateBefore;

	final double rateAfter;

	IncumbentAnalysis(Samples samples, List<Request> requests, long originEpochMillis, Duration maxTtl,
			Duration duration) {
		// The lease behind the pool is the one whose user served the queries; Spring Cloud Vault
		// may issue more than one at startup.
		String servedBy = (samples.users().isEmpty()) ? null : samples.users().get(0);
		List<Request> issues = requests.stream().filter((request) -> request.kind().equals("issue")).toList();
		this.issued = issues.stream()
			.filter((request) -> servedBy != null && servedBy.equals(request.username()))
			.map(Request::time)
			.findFirst()
			.orElse(issues.get(0).time());
		long first = -1;
		for (int i = 0; i < samples.size(); i++) {
			if (!samples.succeeded(i)) {
				first = samples.start(i);
				break;
			}
		}
		this.firstFailure = first;
		long crossingNanos = (this.issued.plus(maxTtl).toEpochMilli() - originEpochMillis) * 1_000_000L;
		this.crossing = crossingNanos;
		this.before = samples.count((start) -> start < crossingNanos);
		this.failedBefore = samples.failures((start) -> start < crossingNanos);
		this.after = samples.count((start) -> start >= crossingNanos);
		this.failedAfter = samples.failures((start) -> start >= crossingNanos);
		// The last 5 s of the run, not of the samples: when revocation ends the pool's sessions, its
		// workers block on logins that fail until the connection timeout, and no query completes at all.
		this.runNanos = duration.toNanos();
		long lastFiveFrom = this.runNanos - 5_000_000_000L;
		this.lastFive = samples.count((start) -> start >= lastFiveFrom);
		this.lastFiveFailed = samples.failures((start) -> start >= lastFiveFrom);
		this.recovered = this.lastFive > this.lastFiveFailed;
		this.rateBefore = (crossingNanos > 0) ? (this.before - this.failedBefore) / (crossingNanos / 1e9) : 0;
		this.rateAfter = (this.runNanos > crossingNanos)
				? (this.after - this.failedAfter) / ((this.runNanos - Math.max(crossingNanos, 0)) / 1e9) : 0;
	}

	static double percent(long part, long whole) {
		return (whole == 0) ? 0 : 100.0 * part / whole;
	}

}
