package io.github.vaultdatasource.benchmarks;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.TreeMap;

import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.DatabaseCredentials;
import io.github.vaultdatasource.autoconfigure.VaultDataSourceProperties;
import io.github.vaultdatasource.event.CredentialsRotatedEvent;
import io.github.vaultdatasource.event.LeaseFailureEvent;
import io.github.vaultdatasource.event.LeaseRenewedEvent;
import io.github.vaultdatasource.lease.CredentialsTarget;
import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.lease.LeaseLifecycle.Strands;
import io.github.vaultdatasource.lease.LeasePolicy;
import io.github.vaultdatasource.lease.LeaseScheduler;
import io.github.vaultdatasource.vault.DatabaseSecretsClient;
import io.github.vaultdatasource.vault.VaultRequestException;
import io.github.vaultdatasource.vault.VaultRequestException.Failure;
import org.jspecify.annotations.Nullable;

import org.springframework.context.ApplicationEventPublisher;

/**
 * A fleet of instances, each running the library's real {@link LeaseLifecycle} and
 * {@link LeasePolicy} (the defaults of {@code vault.lease.*} unless told otherwise) on its three
 * strands (main, drain, Vault calls), against a simulated Vault that grants renewals up to {@code max_ttl} and caps them as
 * Vault does, all on one driven clock: no sleeping, hours of fleet time in seconds. It counts the
 * Vault requests of every second, and can make every request fail for a while (an outage).
 * <p>
 * Vault answers at once (no latency), and the pools switch at once: the fleet measures when
 * instances talk to Vault, not what a rotation costs. Token requests are not simulated.
 */
final class FleetSimulation {

	private static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

	private final Settings settings;

	FleetSimulation(Settings settings) {
		this.settings = settings;
	}

	/**
	 * Run the fleet and measure Vault requests per second in the steady window: from when every
	 * instance has started and lived one {@code max_ttl} (so each has rotated at least once) until
	 * the end.
	 * @return the figures
	 */
	Result run() {
		Settings s = this.settings;
		long began = System.nanoTime();
		DrivenClock clock = new DrivenClock();
		DrivenScheduler scheduler = new DrivenScheduler(clock);
		Duration windowStart = s.startSpread().plus(s.maxTtl());
		Duration end = windowStart.plus(s.window());
		Instant outageFrom = (s.outage().isZero()) ? null
				: EPOCH.plus(windowStart).plus(s.window().minus(s.outage()).dividedBy(2));
		Instant outageTo = (outageFrom != null) ? outageFrom.plus(s.outage()) : null;
		SimulatedVault vault = new SimulatedVault(clock, s.ttl(), s.maxTtl(), s.roleReadable(), outageFrom, outageTo,
				(int) end.toSeconds() + 1);
		SplittableRandom random = new SplittableRandom(s.seed());
		Map<String, Long> events = new TreeMap<>();
		ApplicationEventPublisher publisher = (event) -> events.merge(describe(event), 1L, Long::sum);
		VaultDataSourceProperties.Lease defaults = new VaultDataSourceProperties().getLease();
		for (int i = 0; i < s.instances(); i++) {
			Strands strands = new Strands(scheduler.lane("main-" + i), scheduler.lane("drain-" + i),
					scheduler.lane("calls-" + i), scheduler.lane("revocations-" + i),
					scheduler.lane("new-lease-" + i));
			LeasePolicy policy = new LeasePolicy(defaults.getRenewAt(), s.jitter(), defaults.getDrainShare(),
					defaults.getMinDrainBudget(), defaults.getRetryInitialDelay(), defaults.getRetryMaxDelay(),
					random.split());
			LeaseLifecycle lifecycle = new LeaseLifecycle("fleet-" + i, "fleet", vault, new NoPool(), strands, clock,
					policy, publisher, () -> false);
			Runnable start = lifecycle::start;
			long startMillis = (s.startSpread().isZero()) ? 0 : random.nextLong(s.startSpread().toMillis());
			scheduler.lane("start-" + i).schedule(start, Duration.ofMillis(startMillis));
		}
		long tasks = scheduler.runUntil(EPOCH.plus(end));
		int from = (int) windowStart.toSeconds();
		int to = (int) end.toSeconds();
		return new Result(s, vault, events, from, to, outageFrom, outageTo, tasks, (System.nanoTime() - began) / 1e9);
	}

	private static String describe(Object event) {
		if (event instanceof CredentialsRotatedEvent rotated) {
			return "rotated " + rotated.getReason();
		}
		if (event instanceof LeaseFailureEvent failure) {
			return "failed " + failure.getKind();
		}
		if (event instanceof LeaseRenewedEvent renewed) {
			return renewed.isCapped() ? "renewed capped" : "renewed";
		}
		return event.getClass().getSimpleName().replace("Event", "");
	}

	/**
	 * What to simulate.
	 *
	 * @param instances how many instances
	 * @param ttl the role's {@code default_ttl}
	 * @param maxTtl the role's {@code max_ttl}
	 * @param startSpread instances start at random times within this (a rolling deploy)
	 * @param jitter {@code vault.lease.jitter} of every instance
	 * @param window the measured steady window
	 * @param outage how long every Vault request fails, in the middle of the window; zero for none
	 * @param roleReadable whether the token may read the role (then {@code max_ttl} is known from the
	 * start; the documented minimal policy does not allow it, so it is learned from the first capped
	 * renewal)
	 * @param seed the random seed
	 */
	record Settings(int instances, Duration ttl, Duration maxTtl, Duration startSpread, double jitter,
			Duration window, Duration outage, boolean roleReadable, long seed) {

		Settings withInstances(int instances) {
			return new Settings(instances, this.ttl, this.maxTtl, this.startSpread, this.jitter, this.window,
					this.outage, this.roleReadable, this.seed);
		}

		Settings withJitter(double jitter) {
			return new Settings(this.instances, this.ttl, this.maxTtl, this.startSpread, jitter, this.window,
					this.outage, this.roleReadable, this.seed);
		}

		Settings withStartSpread(Duration startSpread) {
			return new Settings(this.instances, this.ttl, this.maxTtl, startSpread, this.jitter, this.window,
					this.outage, this.roleReadable, this.seed);
		}

		Settings withOutage(Duration outage) {
			return new Settings(this.instances, this.ttl, this.maxTtl, this.startSpread, this.jitter, this.window,
					outage, this.roleReadable, this.seed);
		}

		Settings withSeed(long seed) {
			return new Settings(this.instances, this.ttl, this.maxTtl, this.startSpread, this.jitter, this.window,
					this.outage, this.roleReadable, seed);
		}

		Settings withRoleReadable(boolean roleReadable) {
			return new Settings(this.instances, this.ttl, this.maxTtl, this.startSpread, this.jitter, this.window,
					this.outage, roleReadable, this.seed);
		}

	}

	/**
	 * The figures of one simulated run.
	 */
	static final class Result {

		final Settings settings;

		final long[] perSecond;

		final long[] refusedPerSecond;

		final int from;

		final int to;

		final long tasks;

		final double seconds;

		final Map<String, Long> byKind;

		final long[] issuesPerSecond;

		final long issued;

		final long total;

		final double mean;

		final long peak;

		final double peakToMean;

		final double baseline;

		final double baselineHigh;

		final double baselinePaired;

		final double chanceBelow;

		final double peakToMean60s;

		final double baseline60s;

		final @Nullable Outage outage;

		final Map<String, Long> peakSecond = new LinkedHashMap<>();

		final Map<String, Double> dispersion = new LinkedHashMap<>();

		final Map<String, Long> events;

		final double issueRevokeCorrelation;

		Result(Settings settings, SimulatedVault vault, Map<String, Long> events, int from, int to, @Nullable Instant outageFrom,
				@Nullable Instant outageTo, long tasks, double seconds) {
			this.settings = settings;
			this.events = events;
			this.perSecond = vault.perSecond;
			this.refusedPerSecond = vault.refusedPerSecond;
			this.from = from;
			this.to = to;
			this.tasks = tasks;
			this.seconds = seconds;
			this.byKind = vault.byKind;
			this.issuesPerSecond = vault.kindPerSecond.getOrDefault("issue", new long[0]);
			this.issued = vault.issued;
			this.total = this.byKind.values().stream().mapToLong(Long::longValue).sum();
			long inWindow = 0;
			long peak = 0;
			int peakAt = from;
			for (int s = from; s < to; s++) {
				inWindow += this.perSecond[s];
				if (this.perSecond[s] > peak) {
					peak = this.perSecond[s];
					peakAt = s;
				}
			}
			this.dispersion.put("all", dispersion(this.perSecond, from, to));
			vault.kindPerSecond.forEach((kind, counts) -> this.dispersion.put(kind, dispersion(counts, from, to)));
			this.issueRevokeCorrelation = correlation(this.issuesPerSecond,
					vault.kindPerSecond.getOrDefault("revoke", new long[0]), from, to);
			this.peakSecond.put("second", (long) peakAt);
			for (Map.Entry<String, long[]> kind : vault.kindPerSecond.entrySet()) {
				this.peakSecond.put(kind.getKey(), kind.getValue()[peakAt]);
			}
			this.mean = (double) inWindow / (to - from);
			this.peak = peak;
			this.peakToMean = peak / this.mean;
			this.baseline = randomArrivalPeak(this.mean, 0, to - from, 0.5) / this.mean;
			this.baselineHigh = randomArrivalPeak(this.mean, 0, to - from, 0.95) / this.mean;
			this.chanceBelow = randomArrivalShareBelow(this.mean, peak, to - from);
			// The pool here retires at once: without the policy's revoke delay a rotation's issue and
			// revoke fall in one second, and the fleet can do no better than this baseline.
			double pairs = (double) Math.min(sum(this.issuesPerSecond, from, to),
					sum(vault.kindPerSecond.getOrDefault("revoke", new long[0]), from, to)) / (to - from);
			this.baselinePaired = randomArrivalPeak(this.mean - 2 * pairs, pairs, to - from, 0.5) / this.mean;
			long peakMinute = 0;
			for (int s = from; s + 60 <= to; s += 60) {
				peakMinute = Math.max(peakMinute, sum(this.perSecond, s, s + 60));
			}
			this.peakToMean60s = peakMinute / (this.mean * 60);
			this.baseline60s = randomArrivalPeak(this.mean * 60, 0, (to - from) / 60, 0.5) / (this.mean * 60);
			if (outageFrom != null && outageTo != null) {
				int down = (int) Duration.between(EPOCH, outageFrom).toSeconds();
				int up = (int) Duration.between(EPOCH, outageTo).toSeconds();
				this.outage = new Outage(down, up, sum(this.refusedPerSecond, down, up), max(this.perSecond, up, up + 60),
						sum(this.perSecond, up, up + 60), max(this.perSecond, up, up + 1),
						max(this.perSecond, up + 60, up + 600), randomArrivalPeak(this.mean, 0, 60, 0.5) / this.mean,
						firstNormalSecond(up), byKind(vault.kindPerSecond, up),
						byKind(vault.kindPerSecond, busiest(this.perSecond, up, up + 60)));
			}
			else {
				this.outage = null;
			}
		}

		// The first second after which ten seconds in a row stay under the steady window's peak.
		private int firstNormalSecond(int up) {
			long steadyPeak = 0;
			for (int s = this.from; s < this.to; s++) {
				if (s < up - 120 || s >= up + 600) {
					steadyPeak = Math.max(steadyPeak, this.perSecond[s]);
				}
			}
			int calm = 0;
			for (int s = up; s < this.to; s++) {
				calm = (this.perSecond[s] <= steadyPeak) ? calm + 1 : 0;
				if (calm == 10) {
					return s - 9 - up;
				}
			}
			return -1;
		}

		// Pearson correlation of two kinds' per-second counts: 1 when each rotation's revoke falls in
		// the second of its issue, about 0 when they fall independently.
		private static double correlation(long[] a, long[] b, int from, int to) {
			if (a.length < to || b.length < to) {
				return 0;
			}
			double meanA = (double) sum(a, from, to) / (to - from);
			double meanB = (double) sum(b, from, to) / (to - from);
			double cov = 0;
			double varA = 0;
			double varB = 0;
			for (int s = from; s < to; s++) {
				cov += (a[s] - meanA) * (b[s] - meanB);
				varA += (a[s] - meanA) * (a[s] - meanA);
				varB += (b[s] - meanB) * (b[s] - meanB);
			}
			return (varA > 0 && varB > 0) ? cov / Math.sqrt(varA * varB) : 0;
		}

		// Variance over mean of the per-second counts: 1 for random arrivals, more when requests bunch.
		private static double dispersion(long[] counts, int from, int to) {
			double mean = (double) sum(counts, from, to) / (to - from);
			double squares = 0;
			for (int s = from; s < to; s++) {
				squares += (counts[s] - mean) * (counts[s] - mean);
			}
			return (mean > 0) ? squares / (to - from) / mean : 0;
		}

		double requestsPerLeaseLifetime() {
			return (double) this.total / this.issued;
		}

		/**
		 * Return the raw figures for the JSON file.
		 * @return name to value
		 */
		Map<String, Object> toMap() {
			Map<String, Object> map = new LinkedHashMap<>();
			map.put("instances", this.settings.instances());
			map.put("ttlSeconds", this.settings.ttl().toSeconds());
			map.put("maxTtlSeconds", this.settings.maxTtl().toSeconds());
			map.put("startSpreadSeconds", this.settings.startSpread().toSeconds());
			map.put("jitter", this.settings.jitter());
			map.put("roleReadable", this.settings.roleReadable());
			map.put("windowSeconds", this.to - this.from);
			map.put("outageSeconds", this.settings.outage().toSeconds());
			map.put("tasksRun", this.tasks);
			map.put("simulationSeconds", this.seconds);
			map.put("requestsByKindWholeRun", this.byKind);
			map.put("eventsWholeRun", this.events);
			map.put("leasesIssuedWholeRun", this.issued);
			map.put("requestsPerLeaseLifetime", requestsPerLeaseLifetime());
			map.put("meanPerSecond", this.mean);
			map.put("peakPerSecond", this.peak);
			map.put("peakSecondByKind", this.peakSecond);
			map.put("indexOfDispersion1s", this.dispersion);
			map.put("issueRevokeCorrelation1s", this.issueRevokeCorrelation);
			map.put("peakToMean1s", this.peakToMean);
			map.put("randomArrivalPeakToMean1s", this.baseline);
			map.put("randomArrivalPeakToMean1s95th", this.baselineHigh);
			map.put("randomArrivalShareOfPeaksBelowThis1s", this.chanceBelow);
			map.put("randomArrivalPeakToMean1sIssueAndRevokeInOneSecond", this.baselinePaired);
			map.put("peakToMean60s", this.peakToMean60s);
			map.put("randomArrivalPeakToMean60s", this.baseline60s);
			map.put("peakDuringStart1s", max(this.perSecond, 0, this.from) / this.mean);
			map.put("issuesPerMinuteWholeRun", perMinute(this.issuesPerSecond));
			if (this.outage != null) {
				map.put("outage", this.outage.toMap(this.mean));
			}
			return map;
		}

		/**
		 * Return the requests of each second around the outage, for the JSON file.
		 * @return from 60 s before it began until 120 s after it ended
		 */
		long[] aroundOutage() {
			if (this.outage == null) {
				return new long[0];
			}
			int first = Math.max(0, this.outage.down - 60);
			int last = Math.min(this.perSecond.length, this.outage.up + 120);
			long[] around = new long[last - first];
			for (int s = first; s < last; s++) {
				around[s - first] = this.perSecond[s] + this.refusedPerSecond[s];
			}
			return around;
		}

	}

	/**
	 * What an outage did.
	 *
	 * @param down the second Vault went away (from the simulation's start)
	 * @param up the second it came back
	 * @param refused requests refused while it was away
	 * @param peakAfter the busiest second in the minute after it came back
	 * @param minuteAfter the requests of that minute
	 * @param firstSecond the requests of the first second back
	 * @param peakLater the busiest second in the nine minutes after that minute (renewals planned
	 * from the retries come back together)
	 * @param quietMinute the peak/mean of a minute of random arrivals at the steady mean: what the
	 * minute after would show with no herd at all
	 * @param calmAfter seconds after it came back until the rate stayed within the steady peak
	 * @param firstSecondByKind the requests of the first second back by kind
	 * @param peakAfterByKind the requests of the busiest second of the minute after by kind, and
	 * which second it was (counted from the first second back)
	 */
	record Outage(int down, int up, long refused, long peakAfter, long minuteAfter, long firstSecond, long peakLater,
			double quietMinute, int calmAfter, Map<String, Long> firstSecondByKind, Map<String, Long> peakAfterByKind) {

		double peakAfterToMean(double mean) {
			return this.peakAfter / mean;
		}

		Map<String, Object> toMap(double mean) {
			Map<String, Object> map = new LinkedHashMap<>();
			map.put("fromSecond", this.down);
			map.put("toSecond", this.up);
			map.put("refusedRequests", this.refused);
			map.put("peakPerSecondInMinuteAfter", this.peakAfter);
			map.put("peakInMinuteAfterToMean", peakAfterToMean(mean));
			map.put("requestsInMinuteAfter", this.minuteAfter);
			map.put("requestsInFirstSecondAfter", this.firstSecond);
			map.put("peakPerSecondInNineMinutesAfterThat", this.peakLater);
			map.put("randomArrivalPeakToMeanInAMinute", this.quietMinute);
			map.put("secondsUntilWithinSteadyPeak", this.calmAfter);
			map.put("firstSecondAfterByKind", this.firstSecondByKind);
			Map<String, Long> peak = new LinkedHashMap<>(this.peakAfterByKind);
			peak.computeIfPresent("second", (key, second) -> second - this.up);
			map.put("peakSecondInMinuteAfterByKind", peak);
			return map;
		}

	}

	/**
	 * The peak a fleet of independent instances shows by chance over {@code buckets} buckets:
	 * requests spread uniformly at random make each bucket's count Poisson with the fleet's mean, so
	 * the peak is at most k with probability F(k)^buckets, F the count's distribution. Computed
	 * exactly, without sampling: a normal approximation of the Poisson counts misses their long right
	 * tail and put the median peak of 10,000 instances (71 requests a second over 10,800 seconds) at
	 * 1.46 × the mean where it is 1.49. A baseline for uncoordinated scheduling, not a floor
	 * (instances that coordinated could spread evenly).
	 * @param singles the mean number of single requests a bucket
	 * @param pairs the mean number of pairs of requests a bucket on top, both of a pair in the same
	 * bucket; zero for none
	 * @param buckets how many buckets
	 * @param quantile which quantile of the peak, such as 0.5 for its median
	 * @return the smallest peak that random arrivals stay at or under with at least that probability
	 */
	static long randomArrivalPeak(double singles, double pairs, int buckets, double quantile) {
		double[] counts = poisson(singles);
		if (pairs > 0) {
			double[] pairCounts = poisson(pairs);
			double[] both = new double[counts.length + 2 * (pairCounts.length - 1)];
			for (int a = 0; a < counts.length; a++) {
				for (int b = 0; b < pairCounts.length; b++) {
					both[a + 2 * b] += counts[a] * pairCounts[b];
				}
			}
			counts = both;
		}
		// P(count > k), summed from the top so that the small tail keeps its precision.
		double[] above = new double[counts.length];
		double tail = 0;
		for (int k = counts.length - 1; k >= 0; k--) {
			above[k] = tail;
			tail += counts[k];
		}
		double log = Math.log(quantile);
		for (int k = 0; k < counts.length; k++) {
			if (buckets * Math.log1p(-above[k]) >= log) {
				return k;
			}
		}
		return counts.length - 1;
	}

	/**
	 * Return how likely random arrivals at the same mean would have peaked lower than this peak over
	 * as many buckets: where this run's peak falls among chance's (0.5 is the median).
	 * @param mean the mean number of requests a bucket
	 * @param peak the run's peak
	 * @param buckets how many buckets
	 * @return the probability that random arrivals peak below {@code peak}
	 */
	static double randomArrivalShareBelow(double mean, long peak, int buckets) {
		double[] counts = poisson(mean);
		double atLeast = 0;
		for (int k = counts.length - 1; k >= Math.min(peak, counts.length); k--) {
			atLeast += counts[k];
		}
		return Math.exp(buckets * Math.log1p(-atLeast));
	}

	// The Poisson distribution of the given mean, from 0 to far enough into its tail (twelve
	// standard deviations) that what is cut off does not matter; computed in logarithms, as e^-mean
	// underflows for means above about 700.
	private static double[] poisson(double mean) {
		if (mean <= 0) {
			return new double[] { 1 };
		}
		int size = (int) Math.ceil(mean + 12 * Math.sqrt(mean) + 30);
		double[] counts = new double[size];
		double log = -mean;
		double logMean = Math.log(mean);
		for (int k = 0; k < size; k++) {
			if (k > 0) {
				log += logMean - Math.log(k);
			}
			counts[k] = Math.exp(log);
		}
		return counts;
	}

	private static long[] perMinute(long[] perSecond) {
		long[] minutes = new long[(perSecond.length + 59) / 60];
		for (int s = 0; s < perSecond.length; s++) {
			minutes[s / 60] += perSecond[s];
		}
		return minutes;
	}

	private static Map<String, Long> byKind(Map<String, long[]> kindPerSecond, int second) {
		Map<String, Long> kinds = new LinkedHashMap<>();
		kinds.put("second", (long) second);
		kindPerSecond.forEach((kind, counts) -> kinds.put(kind, counts[second]));
		return kinds;
	}

	// The first index that holds the largest value.
	private static int busiest(long[] values, int from, int to) {
		int busiest = from;
		for (int i = Math.max(0, from); i < Math.min(to, values.length); i++) {
			if (values[i] > values[busiest]) {
				busiest = i;
			}
		}
		return busiest;
	}

	private static long max(long[] values, int from, int to) {
		long max = 0;
		for (int i = Math.max(0, from); i < Math.min(to, values.length); i++) {
			max = Math.max(max, values[i]);
		}
		return max;
	}

	private static long sum(long[] values, int from, int to) {
		long sum = 0;
		for (int i = Math.max(0, from); i < Math.min(to, values.length); i++) {
			sum += values[i];
		}
		return sum;
	}

	/**
	 * Vault as the lifecycle sees it: issues leases of {@code ttl}, grants renewals up to the
	 * lease's {@code max_ttl} and says when it capped one, revokes; refuses everything during an
	 * outage. Counts every request, answered or refused.
	 */
	private static final class SimulatedVault implements DatabaseSecretsClient {

		private final DrivenClock clock;

		private final Duration ttl;

		private final Duration maxTtl;

		private final boolean roleReadable;

		private final @Nullable Instant outageFrom;

		private final @Nullable Instant outageTo;

		private final long[] perSecond;

		private final long[] refusedPerSecond;

		private final Map<String, Instant> maxExpiry = new HashMap<>();

		private final Map<String, Long> byKind = new LinkedHashMap<>();

		private final Map<String, long[]> kindPerSecond = new LinkedHashMap<>();

		private long issued;

		SimulatedVault(DrivenClock clock, Duration ttl, Duration maxTtl, boolean roleReadable,
				@Nullable Instant outageFrom, @Nullable Instant outageTo, int seconds) {
			this.clock = clock;
			this.ttl = ttl;
			this.maxTtl = maxTtl;
			this.roleReadable = roleReadable;
			this.outageFrom = outageFrom;
			this.outageTo = outageTo;
			this.perSecond = new long[seconds + 1];
			this.refusedPerSecond = new long[seconds + 1];
		}

		private void request(String kind, String path) {
			Instant now = this.clock.instant();
			int second = (int) Duration.between(EPOCH, now).toSeconds();
			boolean away = this.outageFrom != null && !now.isBefore(this.outageFrom) && now.isBefore(this.outageTo);
			if (away) {
				this.byKind.merge("refused", 1L, Long::sum);
				if (second < this.refusedPerSecond.length) {
					this.refusedPerSecond[second]++;
				}
				throw new VaultRequestException(Failure.UNAVAILABLE, path, 0,
						"Vault is unreachable (simulated outage): connection refused", null);
			}
			this.byKind.merge(kind, 1L, Long::sum);
			if (second < this.perSecond.length) {
				this.perSecond[second]++;
				this.kindPerSecond.computeIfAbsent(kind, (k) -> new long[this.perSecond.length])[second]++;
			}
		}

		@Override
		public String credentialsPath() {
			return "database/creds/fleet";
		}

		@Override
		public CredentialLease issue() {
			request("issue", credentialsPath());
			long number = ++this.issued;
			String leaseId = "database/creds/fleet/sim" + number;
			Instant now = this.clock.instant();
			this.maxExpiry.put(leaseId, now.plus(this.maxTtl));
			return CredentialLease.issued(new DatabaseCredentials("v-fleet-" + number, "simulated"), leaseId, true, now,
					this.ttl);
		}

		@Override
		public Optional<Duration> roleMaxTtl() {
			try {
				request("role", "database/roles/fleet");
			}
			catch (VaultRequestException ex) {
				return Optional.empty();
			}
			return this.roleReadable ? Optional.of(this.maxTtl) : Optional.empty();
		}

		@Override
		public List<String> missingPermissions() {
			try {
				request("capabilities", "sys/capabilities-self");
			}
			catch (VaultRequestException ex) {
				// Vault could not tell.
			}
			return List.of();
		}

		@Override
		public LeaseRenewal renew(CredentialLease lease, Duration increment) {
			request("renew", "sys/leases/renew");
			Instant limit = this.maxExpiry.get(lease.leaseId());
			Instant now = this.clock.instant();
			if (limit == null || !limit.isAfter(now)) {
				throw new VaultRequestException(Failure.LEASE_GONE, "sys/leases/renew", 400, "lease not found", null);
			}
			Duration left = Duration.between(now, limit);
			Duration granted = (left.compareTo(increment) < 0) ? left : increment;
			return new LeaseRenewal(granted, true, granted.compareTo(increment) < 0);
		}

		@Override
		public void revoke(CredentialLease lease) {
			request("revoke", "sys/leases/revoke");
			this.maxExpiry.remove(lease.leaseId());
		}

	}

	/**
	 * A pool that accepts every switch at once and whose retirement finishes in its first step: the
	 * fleet measures Vault traffic, not JDBC.
	 */
	private static final class NoPool implements CredentialsTarget {

		private static final RetirementReport NOTHING_LEFT = new RetirementReport(Duration.ZERO, Duration.ZERO, 0,
				false);

		@Override
		public void install(DatabaseCredentials credentials) {
		}

		@Override
		public void validate(DatabaseCredentials candidate) {
		}

		@Override
		public Retirement switchTo(DatabaseCredentials next, DatabaseCredentials previous, boolean previousDead) {
			return new Retirement() {

				@Override
				public @Nullable Duration advance(Instant deadline) {
					return null;
				}

				@Override
				public void previousDead() {
				}

				@Override
				public void abandon() {
				}

				@Override
				public RetirementReport report() {
					return NOTHING_LEFT;
				}

			};
		}

	}

	/**
	 * One timeline for the whole fleet: runs tasks in order of due time (then of scheduling),
	 * moving the clock. Each instance's strands are lanes of it.
	 */
	private static final class DrivenScheduler {

		private final DrivenClock clock;

		private final PriorityQueue<Task> tasks = new PriorityQueue<>();

		private long sequence;

		DrivenScheduler(DrivenClock clock) {
			this.clock = clock;
		}

		Lane lane(String name) {
			return new Lane(name);
		}

		long runUntil(Instant end) {
			long ran = 0;
			long endNanos = nanos(end);
			while (!this.tasks.isEmpty() && this.tasks.peek().due <= endNanos) {
				Task task = this.tasks.poll();
				if (task.cancelled || task.lane.closed) {
					continue;
				}
				this.clock.setNanos(task.due);
				task.runnable.run();
				ran++;
			}
			return ran;
		}

		private static long nanos(Instant instant) {
			Duration since = Duration.between(EPOCH, instant);
			return since.toNanos();
		}

		private final class Lane implements LeaseScheduler {

			private final String name;

			private boolean closed;

			Lane(String name) {
				this.name = name;
			}

			@Override
			public Cancellable schedule(Runnable runnable, Duration delay) {
				long due = DrivenScheduler.this.clock.nanos + (delay.isNegative() ? 0 : delay.toNanos());
				Task task = new Task(this, due, DrivenScheduler.this.sequence++, runnable);
				DrivenScheduler.this.tasks.add(task);
				return () -> task.cancelled = true;
			}

			@Override
			public boolean close(Duration grace) {
				this.closed = true;
				return true;
			}

			@Override
			public String toString() {
				return "Lane[" + this.name + "]";
			}

		}

		private static final class Task implements Comparable<Task> {

			private final Lane lane;

			private final long due;

			private final long sequence;

			private final Runnable runnable;

			private boolean cancelled;

			Task(Lane lane, long due, long sequence, Runnable runnable) {
				this.lane = lane;
				this.due = due;
				this.sequence = sequence;
				this.runnable = runnable;
			}

			@Override
			public int compareTo(Task other) {
				int byDue = Long.compare(this.due, other.due);
				return (byDue != 0) ? byDue : Long.compare(this.sequence, other.sequence);
			}

		}

	}

	/**
	 * The fleet's clock: nanoseconds since the simulation's start, moved only by the scheduler.
	 */
	private static final class DrivenClock extends Clock {

		private long nanos;

		void setNanos(long nanos) {
			if (nanos > this.nanos) {
				this.nanos = nanos;
			}
		}

		@Override
		public Instant instant() {
			return EPOCH.plusNanos(this.nanos);
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
