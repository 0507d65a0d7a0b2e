package io.github.vaultdatasource.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.vaultdatasource.benchmarks.ConnectionSampler.Snapshot;
import io.github.vaultdatasource.benchmarks.VaultRequestCounter.Request;
import io.github.vaultdatasource.benchmarks.load.Samples;
import org.jspecify.annotations.Nullable;

/**
 * An incumbent's run judged at its leases' {@code max_ttl}: failed queries and throughput before
 * and after the first, failures between each, whether it serves again by the end of the run
 * without a restart, and, when it moves to a new database user, how long the old user's sessions
 * stay open.
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

	/** Every {@code max_ttl} crossed by a lease whose user served queries, nanoseconds from the origin. */
	final List<Long> crossings = new ArrayList<>();

	/** Failed queries by SQLState between consecutive crossings (before the first, …, after the last). */
	final List<Segment> segments = new ArrayList<>();

	/** Each time a new database user began to serve queries, and the previous user's sessions then. */
	final List<Swap> swaps = new ArrayList<>();

	/** Sessions of users other than the last one still open at the last sample. */
	final int oldSessionsAtEnd;

	/** Users other than the last one with sessions still open at the last sample. */
	final int oldUsersWithSessionsAtEnd;

	IncumbentAnalysis(Samples samples, List<Request> requests, long originEpochMillis, Duration maxTtl,
			Duration duration, List<Snapshot> sessions) {
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
		Map<String, Long> firstServed = firstServed(samples);
		for (String user : firstServed.keySet()) {
			requests.stream()
				.filter((request) -> request.kind().equals("issue") && user.equals(request.username()))
				.findFirst()
				.ifPresent((request) -> this.crossings
					.add((request.time().plus(maxTtl).toEpochMilli() - originEpochMillis) * 1_000_000L));
		}
		this.crossings.sort(Long::compare);
		long from = Long.MIN_VALUE;
		for (int c = 0; c <= this.crossings.size(); c++) {
			long begin = from;
			long end = (c < this.crossings.size()) ? this.crossings.get(c) : Long.MAX_VALUE;
			this.segments.add(new Segment(begin, end, samples.count((start) -> start >= begin && start < end),
					samples.failuresByState((start) -> start >= begin && start < end)));
			from = end;
		}
		List<String> users = new ArrayList<>(firstServed.keySet());
		for (int u = 1; u < users.size(); u++) {
			long at = firstServed.get(users.get(u));
			this.swaps.add(Swap.of(users.get(u - 1), at, originEpochMillis + at / 1_000_000L, sessions));
		}
		Snapshot last = sessions.isEmpty() ? null : sessions.get(sessions.size() - 1);
		int oldSessions = 0;
		int oldUsers = 0;
		for (int u = 0; last != null && u + 1 < users.size(); u++) {
			int open = last.of(users.get(u));
			oldSessions += open;
			oldUsers += (open > 0) ? 1 : 0;
		}
		this.oldSessionsAtEnd = oldSessions;
		this.oldUsersWithSessionsAtEnd = oldUsers;
	}

	/**
	 * Return each database user that served queries, in order, with the start of its first query.
	 */
	private static Map<String, Long> firstServed(Samples samples) {
		Map<String, Long> first = new LinkedHashMap<>();
		for (int i = 0; i < samples.size(); i++) {
			String user = samples.user(i);
			if (user != null) {
				first.putIfAbsent(user, samples.start(i));
			}
		}
		return first;
	}

	/**
	 * Queries started between two {@code max_ttl} crossings.
	 *
	 * @param fromNanos start, {@code Long.MIN_VALUE} for the run's start
	 * @param toNanos end, {@code Long.MAX_VALUE} for the run's end
	 * @param queries queries started
	 * @param failuresByState the failed ones by SQLState
	 */
	record Segment(long fromNanos, long toNanos, long queries, Map<String, Long> failuresByState) {

		long failed() {
			return this.failuresByState.values().stream().mapToLong(Long::longValue).sum();
		}

	}

	/**
	 * A new database user began to serve queries; what became of the previous user's sessions.
	 *
	 * @param previousUser the user served before
	 * @param atNanos when the new user served its first query, from the origin
	 * @param sessionsAfterOneSecond the previous user's sessions 1 s later, -1 if not sampled
	 * @param mostSessionsAfter the most the previous user held at any sample after the swap
	 * @param closedAfterMillis when its sessions were all gone, ms after the swap; null if never
	 */
	record Swap(String previousUser, long atNanos, int sessionsAfterOneSecond, int mostSessionsAfter,
			@Nullable Long closedAfterMillis) {

		static Swap of(String previousUser, long atNanos, long atEpochMillis, List<Snapshot> sessions) {
			int afterOne = -1;
			int most = 0;
			Long closed = null;
			for (Snapshot snapshot : sessions) {
				if (snapshot.epochMillis() < atEpochMillis) {
					continue;
				}
				int open = snapshot.of(previousUser);
				if (afterOne < 0 && snapshot.epochMillis() >= atEpochMillis + 1000) {
					afterOne = open;
				}
				most = Math.max(most, open);
				if (open == 0 && closed == null) {
					closed = snapshot.epochMillis() - atEpochMillis;
				}
				if (open > 0) {
					closed = null;
				}
			}
			return new Swap(previousUser, atNanos, afterOne, most, closed);
		}

	}

	static double percent(long part, long whole) {
		return (whole == 0) ? 0 : 100.0 * part / whole;
	}

}
