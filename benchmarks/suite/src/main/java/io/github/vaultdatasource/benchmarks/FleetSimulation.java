package io.github.vaultdatasource.benchmarks;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.SplittableRandom;

import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.DatabaseCredentials;
import io.github.vaultdatasource.lease.CredentialsTarget;
import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.autoconfigure.VaultDataSourceProperties;
import io.github.vaultdatasource.lease.LeasePolicy;
import io.github.vaultdatasource.lease.LeaseScheduler;
import io.github.vaultdatasource.vault.DatabaseSecretsClient;

/**
 * A fleet of instances, each running the library's real {@link LeaseLifecycle} and
 * {@link LeasePolicy} (the defaults of {@code vault.lease.*}), against a simulated Vault that
 * grants renewals up to {@code max_ttl} as Vault does, on one driven clock: no sleeping, hours of
 * fleet time in seconds. It counts the Vault requests of every second.
 */
final class FleetSimulation {

	private static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

	private final int instances;

	private final Duration ttl;

	private final Duration maxTtl;

	private final Duration startSpread;

	private final double jitter;

	private final Duration window;

	private final long seed;

	FleetSimulation(int instances, Duration ttl, Duration maxTtl, Duration startSpread, double jitter, Duration window,
			long seed) {
		this.instances = instances;
		this.ttl = ttl;
		this.maxTtl = maxTtl;
		this.startSpread = startSpread;
		this.jitter = jitter;
		this.window = window;
		this.seed = seed;
	}

	/**
	 * Run the fleet and measure Vault requests per second in the steady window: from when every
	 * instance has started and lived one {@code max_ttl} (so each has rotated at least once) until
	 * the end.
	 * @return the figures
	 */
	Map<String, Object> run() {
		DrivenClock clock = new DrivenClock(EPOCH);
		DrivenScheduler scheduler = new DrivenScheduler(clock);
		Duration windowStart = this.startSpread.plus(this.maxTtl);
		Duration end = windowStart.plus(this.window);
		SimulatedVault vault = new SimulatedVault(clock, this.ttl, this.maxTtl, (int) end.toSeconds() + 1);
		SplittableRandom random = new SplittableRandom(this.seed);
		// The library's defaults (vault.lease.*), except the jitter under study.
		VaultDataSourceProperties.Lease defaults = new VaultDataSourceProperties().getLease();
		for (int i = 0; i < this.instances; i++) {
			LeasePolicy policy = new LeasePolicy(defaults.getRenewAt(), this.jitter, defaults.getDrainShare(),
					defaults.getMinDrainBudget(), defaults.getRetryInitialDelay(), defaults.getRetryMaxDelay(),
					random.split());
			LeaseLifecycle lifecycle = new LeaseLifecycle("fleet-" + i, "fleet", vault, new NoPool(), scheduler, clock,
					policy, (event) -> {
					}, () -> false);
			long startMillis = (this.startSpread.isZero()) ? 0 : random.nextLong(this.startSpread.toMillis());
			scheduler.schedule(lifecycle::start, Duration.ofMillis(startMillis));
		}
		long tasks = scheduler.runUntil(EPOCH.plus(end));
		int from = (int) windowStart.toSeconds();
		int to = (int) end.toSeconds();
		long[] perSecond = vault.perSecond;
		long total = 0;
		long peak = 0;
		for (int s = from; s < to; s++) {
			total += perSecond[s];
			peak = Math.max(peak, perSecond[s]);
		}
		int seconds = to - from;
		double mean = (double) total / seconds;
		long peakMinute = 0;
		for (int s = from; s + 60 <= to; s += 60) {
			long minute = 0;
			for (int k = 0; k < 60; k++) {
				minute += perSecond[s + k];
			}
			peakMinute = Math.max(peakMinute, minute);
		}
		Map<String, Object> result = new LinkedHashMap<>();
		result.put("instances", this.instances);
		result.put("ttlSeconds", this.ttl.toSeconds());
		result.put("maxTtlSeconds", this.maxTtl.toSeconds());
		result.put("startSpreadSeconds", this.startSpread.toSeconds());
		result.put("jitter", this.jitter);
		result.put("windowSeconds", seconds);
		result.put("tasksRun", tasks);
		result.put("requestsInWindow", total);
		result.put("requestsByKindWholeRun", vault.byKind);
		result.put("leasesIssuedWholeRun", vault.issued);
		result.put("requestsPerLeaseLifetime", (double) vault.total() / vault.issued);
		result.put("meanPerSecond", mean);
		result.put("peakPerSecond", peak);
		result.put("peakToMean1s", peak / mean);
		result.put("peakToMean60s", peakMinute / (mean * 60));
		result.put("poissonPeakToMean1s", poissonPeak(mean, seconds, 1) / mean);
		result.put("poissonPeakToMean60s", poissonPeak(mean * 60, seconds / 60, 2) / (mean * 60));
		result.put("peakDuringStart1s", max(perSecond, 0, from) / mean);
		return result;
	}

	/**
	 * The peak a fleet of independent instances (requests uniformly spread at random, Poisson
	 * counts) would show with the same mean over the same number of buckets: a baseline for
	 * uncoordinated scheduling, not a floor (instances that coordinated could spread evenly).
	 */
	private double poissonPeak(double mean, int buckets, long salt) {
		Random random = new Random(this.seed + salt);
		long peak = 0;
		for (int b = 0; b < buckets; b++) {
			peak = Math.max(peak, poisson(random, mean));
		}
		return peak;
	}

	private static long poisson(Random random, double mean) {
		if (mean > 50) {
			return Math.max(0, Math.round(mean + Math.sqrt(mean) * random.nextGaussian()));
		}
		double limit = Math.exp(-mean);
		double product = random.nextDouble();
		long count = 0;
		while (product > limit) {
			product *= random.nextDouble();
			count++;
		}
		return count;
	}

	private static long max(long[] values, int from, int to) {
		long max = 0;
		for (int i = from; i < to; i++) {
			max = Math.max(max, values[i]);
		}
		return max;
	}

	/**
	 * Vault as the lifecycle sees it: issues leases of {@code ttl}, grants renewals up to the
	 * lease's {@code max_ttl} and says when it capped one, revokes. Counts every request.
	 */
	private static final class SimulatedVault implements DatabaseSecretsClient {

		private final DrivenClock clock;

		private final Duration ttl;

		private final Duration maxTtl;

		private final long[] perSecond;

		private final Map<String, Instant> maxExpiry = new HashMap<>();

		private final Map<String, Long> byKind = new LinkedHashMap<>();

		private long issued;

		SimulatedVault(DrivenClock clock, Duration ttl, Duration maxTtl, int seconds) {
			this.clock = clock;
			this.ttl = ttl;
			this.maxTtl = maxTtl;
			this.perSecond = new long[seconds + 1];
		}

		long total() {
			return this.byKind.values().stream().mapToLong(Long::longValue).sum();
		}

		private void count(String kind) {
			this.byKind.merge(kind, 1L, Long::sum);
			int second = (int) Duration.between(EPOCH, this.clock.instant()).toSeconds();
			if (second < this.perSecond.length) {
				this.perSecond[second]++;
			}
		}

		@Override
		public String credentialsPath() {
			return "database/creds/fleet";
		}

		@Override
		public CredentialLease issue() {
			count("issue");
			long number = ++this.issued;
			String leaseId = "database/creds/fleet/sim" + number;
			Instant now = this.clock.instant();
			this.maxExpiry.put(leaseId, now.plus(this.maxTtl));
			return CredentialLease.issued(new DatabaseCredentials("v-fleet-" + number, "simulated"), leaseId, true, now,
					this.ttl);
		}

		@Override
		public LeaseRenewal renew(CredentialLease lease, Duration increment) {
			count("renew");
			Duration left = Duration.between(this.clock.instant(), this.maxExpiry.get(lease.leaseId()));
			Duration granted = (left.compareTo(increment) < 0) ? left : increment;
			return new LeaseRenewal(granted, true, granted.compareTo(increment) < 0);
		}

		@Override
		public void revoke(CredentialLease lease) {
			count("revoke");
			this.maxExpiry.remove(lease.leaseId());
		}

	}

	/**
	 * A pool that accepts every switch at once: the fleet measures Vault traffic, not JDBC.
	 */
	private static final class NoPool implements CredentialsTarget {

		@Override
		public void install(DatabaseCredentials credentials) {
		}

		@Override
		public void validate(DatabaseCredentials candidate) {
		}

		@Override
		public SwitchReport switchTo(DatabaseCredentials next, DatabaseCredentials previous, Instant drainDeadline) {
			return new SwitchReport(0, 0, 1, 0);
		}

	}

	/**
	 * One scheduler for the whole fleet: runs tasks in order of due time, moving the clock.
	 */
	private static final class DrivenScheduler implements LeaseScheduler {

		private final DrivenClock clock;

		private final PriorityQueue<Task> tasks = new PriorityQueue<>();

		private long sequence;

		DrivenScheduler(DrivenClock clock) {
			this.clock = clock;
		}

		@Override
		public Cancellable schedule(Runnable runnable, Duration delay) {
			Task task = new Task(this.clock.instant().plus(delay.isNegative() ? Duration.ZERO : delay), this.sequence++,
					runnable);
			this.tasks.add(task);
			return () -> task.cancelled = true;
		}

		long runUntil(Instant end) {
			long ran = 0;
			while (!this.tasks.isEmpty() && !this.tasks.peek().due.isAfter(end)) {
				Task task = this.tasks.poll();
				if (task.cancelled) {
					continue;
				}
				this.clock.set(task.due);
				task.runnable.run();
				ran++;
			}
			return ran;
		}

		@Override
		public void close() {
		}

		private static final class Task implements Comparable<Task> {

			private final Instant due;

			private final long sequence;

			private final Runnable runnable;

			private boolean cancelled;

			Task(Instant due, long sequence, Runnable runnable) {
				this.due = due;
				this.sequence = sequence;
				this.runnable = runnable;
			}

			@Override
			public int compareTo(Task other) {
				int byDue = this.due.compareTo(other.due);
				return (byDue != 0) ? byDue : Long.compare(this.sequence, other.sequence);
			}

		}

	}

	private static final class DrivenClock extends Clock {

		private Instant now;

		DrivenClock(Instant now) {
			this.now = now;
		}

		void set(Instant instant) {
			if (instant.isAfter(this.now)) {
				this.now = instant;
			}
		}

		@Override
		public Instant instant() {
			return this.now;
		}

		@Override
		public ZoneId getZone() {
			return ZoneOffset.UTC;
		}

		@Override
		public Clock withZone(ZoneId zone) {
			return this;
		}

	}

}
