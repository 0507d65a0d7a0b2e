package io.github.vaultdatasource.benchmarks.trial;

import java.time.Duration;
import java.time.Instant;
import java.util.random.RandomGenerator;

/**
 * TRIAL COPY of the library's {@code io.github.vaultdatasource.lease.LeasePolicy} at commit
 * b7c036d, for the fleet simulation only, with the changes proposed for the fleet targets of issue
 * 15, each switched by {@link Changes} and marked {@code // Trial:}.
 * <p>
 * The timing decisions of the lease lifecycle, free of I/O so they can be tested exactly: when to
 * renew, how long before a lease's end to rotate, how long to wait before a retry.
 * <p>
 * Two things set how early a rotation starts: a share of the lease's TTL (the drain budget), and
 * what rotations are observed to cost (Vault's answer, validation, the pool's switch and drain):
 * a slow Vault moves rotations earlier instead of letting them run into the lease's end.
 */
public final class TrialLeasePolicy {

	private static final Duration MIN_RETRY_DELAY = Duration.ofMillis(200);

	private static final Duration URGENT_RETRY_DELAY = Duration.ofSeconds(1);

	private static final Duration MIN_RENEW_DELAY = Duration.ofMillis(200);

	/**
	 * How many times the observed cost of a rotation its lead time covers.
	 */
	private static final int COST_MARGIN = 2;

	/**
	 * The least share of a lease's life it is used for before rotating, however slow rotations are,
	 * so that a slow Vault cannot turn rotations into a loop.
	 */
	private static final double MIN_LIFE_SHARE = 0.25;

	private final double renewShare;

	private final double jitter;

	private final double drainShare;

	private final Duration minDrainBudget;

	private final Duration retryInitial;

	private final Duration retryMax;

	private final RandomGenerator random;

	private final Changes changes;

	/**
	 * Create a policy.
	 * @param renewShare share of the lease duration after which to renew, in (0, 1)
	 * @param jitter relative spread applied to delays and rotation times, in [0, 0.5]
	 * @param drainShare share of the lease duration kept as drain budget when rotating, in (0, 1)
	 * @param minDrainBudget least drain budget
	 * @param retryInitial first retry delay
	 * @param retryMax longest retry delay
	 * @param random source of jitter
	 */
	public TrialLeasePolicy(double renewShare, double jitter, double drainShare, Duration minDrainBudget,
			Duration retryInitial, Duration retryMax, RandomGenerator random, Changes changes) {
		if (!(renewShare > 0 && renewShare < 1)) {
			throw new IllegalArgumentException("renewShare must be between 0 and 1, was " + renewShare);
		}
		if (!(jitter >= 0 && jitter <= 0.5)) {
			throw new IllegalArgumentException("jitter must be between 0 and 0.5, was " + jitter);
		}
		if (!(drainShare > 0 && drainShare < 1)) {
			throw new IllegalArgumentException("drainShare must be between 0 and 1, was " + drainShare);
		}
		if (minDrainBudget.isNegative() || retryInitial.isNegative() || retryInitial.isZero()
				|| retryMax.compareTo(retryInitial) < 0) {
			throw new IllegalArgumentException("durations must be positive and retryMax at least retryInitial");
		}
		this.renewShare = renewShare;
		this.jitter = jitter;
		this.drainShare = drainShare;
		this.minDrainBudget = minDrainBudget;
		this.retryInitial = retryInitial;
		this.retryMax = retryMax;
		this.random = random;
		this.changes = changes;
	}

	/**
	 * Return the delay, from when the renewal or issue request was sent, until the next renewal of
	 * a lease granted for {@code granted}: the renew share of it, spread by the jitter so a fleet
	 * does not renew in lockstep, and early enough that a renewal taking as long as Vault's
	 * observed latency still has one more try before the lease ends.
	 * @param granted the granted lease duration
	 * @param vaultLatency how long Vault's answers take lately
	 * @return the delay
	 */
	public Duration renewDelay(Duration granted, Duration vaultLatency) {
		double factor = Math.min(this.renewShare * (1 + spread(-this.jitter, this.jitter)), 0.95);
		Duration delay = scale(granted, factor);
		Duration latest = granted.minus(vaultLatency.multipliedBy(2));
		if (latest.compareTo(delay) < 0) {
			delay = latest;
		}
		Duration least = min(MIN_RENEW_DELAY, scale(granted, 0.25));
		return (delay.compareTo(least) < 0) ? least : delay;
	}

	/**
	 * Return the time kept for draining old connections when rotating a lease issued for
	 * {@code issuedTtl}.
	 * @param issuedTtl the lease duration granted on issue
	 * @return the drain budget, never longer than {@code issuedTtl}
	 */
	public Duration drainBudget(Duration issuedTtl) {
		Duration budget = scale(issuedTtl, this.drainShare);
		if (budget.compareTo(this.minDrainBudget) < 0) {
			budget = this.minDrainBudget;
		}
		return (budget.compareTo(issuedTtl) > 0) ? issuedTtl : budget;
	}

	/**
	 * Return the drain budget the settings ask for, before it is limited to the lease's TTL: to
	 * tell when the settings cannot be honoured.
	 * @param issuedTtl the lease duration granted on issue
	 * @return the drain share of it, or the least drain budget when longer
	 */
	public Duration configuredDrainBudget(Duration issuedTtl) {
		Duration budget = scale(issuedTtl, this.drainShare);
		return (budget.compareTo(this.minDrainBudget) < 0) ? this.minDrainBudget : budget;
	}

	/**
	 * Return how long before a lease's end a rotation starts: the drain budget, or twice what
	 * rotations are observed to cost when that is longer.
	 * @param issuedTtl the lease duration granted on issue
	 * @param rotationCost what a rotation takes lately, from asking Vault to the old connections
	 * drained
	 * @return the lead time
	 */
	public Duration rotationLead(Duration issuedTtl, Duration rotationCost) {
		Duration budget = drainBudget(issuedTtl);
		Duration observed = rotationCost.multipliedBy(COST_MARGIN);
		return (observed.compareTo(budget) > 0) ? observed : budget;
	}

	/**
	 * Return when to rotate a lease that ends at {@code end} (its {@code max_ttl}, or its expiry
	 * when it cannot be renewed): the lead time before the end, moved earlier by a random share of
	 * up to the jitter of the time before that, so that instances started together spread their
	 * rotations; never in the first quarter of the lease's life.
	 * @param end when the lease ends for good
	 * @param issuedAt when the lease was issued
	 * @param issuedTtl the lease duration granted on issue
	 * @param rotationCost what a rotation takes lately
	 * @return the rotation time
	 */
	public Instant rotateAt(Instant end, Instant issuedAt, Duration issuedTtl, Duration rotationCost) {
		return rotateAt(end, issuedAt, issuedTtl, rotationCost, false);
	}

	/**
	 * Trial: like {@link #rotateAt(Instant, Instant, Duration, Duration)}; with {@code spreadPhase},
	 * at a uniformly random point between the end of
	 * the lease's first quarter and the lead time before its end, so that the rotations of a fleet
	 * deployed together take random phases from then on.
	 * @param end when the lease ends for good
	 * @param issuedAt when the lease was issued
	 * @param issuedTtl the lease duration granted on issue
	 * @param rotationCost what a rotation takes lately
	 * @param spreadPhase whether to pick a random phase
	 * @return the rotation time
	 */
	public Instant rotateAt(Instant end, Instant issuedAt, Duration issuedTtl, Duration rotationCost,
			boolean spreadPhase) {
		Duration life = Duration.between(issuedAt, end);
		Duration lead = rotationLead(issuedTtl, rotationCost);
		Duration latestLead = scale(life, 1 - MIN_LIFE_SHARE);
		if (lead.compareTo(latestLead) > 0) {
			lead = latestLead;
		}
		Duration window = life.minus(lead);
		if (spreadPhase) {
			// From the end of the first quarter, or with a wide spread from the issue on: a whole
			// cycle, so that the phases of a fleet deployed at once are uniform after it.
			Duration spreadable = this.changes.wideSpread() ? window : window.minus(scale(life, MIN_LIFE_SHARE));
			return end.minus(lead).minus(scale(spreadable.isNegative() ? Duration.ZERO : spreadable, spread(0, 1)));
		}
		Duration early = scale(window.isNegative() ? Duration.ZERO : window, spread(0, this.jitter));
		return end.minus(lead).minus(early);
	}

	/**
	 * Trial: return how many rotations, the first ones planned early in a lease's life, take a
	 * random phase.
	 * @return the number, 0 for the library's behaviour
	 */
	public int spreadRotations() {
		return this.changes.spreadRotations();
	}

	/**
	 * Trial: return the earliest a rotation may be planned for: the end of the lease's first
	 * quarter.
	 * @param end when the lease ends for good
	 * @param issuedAt when the lease was issued
	 * @return the earliest rotation time
	 */
	public Instant earliestRotation(Instant end, Instant issuedAt) {
		return issuedAt.plus(scale(Duration.between(issuedAt, end), MIN_LIFE_SHARE));
	}

	/**
	 * Return the delay before retry number {@code attempt} (1 for the first) of a failed Vault
	 * call: exponential backoff with jitter, at most a third of the lease's remaining validity, and
	 * at most a second while the lease is urgent (within its lead time of expiry, or expired), when
	 * waiting longer only loses time the lease does not have.
	 * @param attempt the retry number, from 1
	 * @param remaining the lease's remaining validity, negative once expired
	 * @param urgent whether the lease is within its lead time of expiry or past it
	 * @return the delay
	 */
	public Duration retryDelay(int attempt, Duration remaining, boolean urgent) {
		if (this.changes.retry() != Retry.LIBRARY) {
			return spreadRetryDelay(attempt, remaining);
		}
		long delay = backoff(attempt);
		if (!remaining.isNegative() && !remaining.isZero()) {
			delay = Math.min(delay, remaining.toMillis() / 3);
		}
		if (urgent) {
			delay = Math.min(delay, URGENT_RETRY_DELAY.toMillis());
		}
		return Duration.ofMillis(Math.max(delay, MIN_RETRY_DELAY.toMillis()));
	}

	/**
	 * Trial: the plain exponential backoff, at most a third of the lease's remaining validity (so
	 * retries get denser as the lease nears its end, with no fixed one-second pace while it is
	 * urgent), at most a second once it expired; then a random share of it (half to all for
	 * {@link Retry#SPREAD}, none to all for {@link Retry#FULL}), so that a fleet whose requests all
	 * failed comes back spread over that delay instead of within a second.
	 */
	private Duration spreadRetryDelay(int attempt, Duration remaining) {
		long initial = this.retryInitial.toMillis();
		int exponent = Math.min(Math.max(attempt - 1, 0), 20);
		long delay = Math.min(this.retryMax.toMillis(), initial * (1L << exponent));
		if (this.changes.retry() == Retry.SHARE) {
			delay = Long.MAX_VALUE;
		}
		if (!remaining.isNegative() && !remaining.isZero()) {
			delay = Math.min(delay, remaining.toMillis() / this.changes.share());
		}
		else {
			delay = Math.min(delay, URGENT_RETRY_DELAY.toMillis());
		}
		double low = (this.changes.retry() == Retry.FULL) ? 0 : 0.5;
		if (this.changes.retry() == Retry.SHARE) {
			low = 0.5;
		}
		delay = (long) (delay * spread(low, 1));
		return Duration.ofMillis(Math.max(delay, MIN_RETRY_DELAY.toMillis()));
	}

	/**
	 * Trial: the changes to try.
	 *
	 * @param spreadRotations how many rotations, the first ones planned early in a lease's life,
	 * take a random phase
	 * @param wideSpread whether those rotations may come anywhere before the lead time, not only
	 * after the lease's first quarter
	 * @param retry how failed Vault calls are retried
	 * @param share for {@link Retry#SHARE}, which share of the remaining validity
	 */
	public record Changes(int spreadRotations, boolean wideSpread, Retry retry, int share) {

		/**
		 * The library as it is.
		 */
		public static final Changes NONE = new Changes(0, false, Retry.LIBRARY, 3);

	}

	/**
	 * Trial: retry delays.
	 */
	public enum Retry {

		/**
		 * The library's: backoff shortened by up to the jitter, at most a third of the remaining
		 * validity, at most a second while the lease is urgent.
		 */
		LIBRARY,

		/**
		 * Backoff, at most a third of the remaining validity (a second once expired), then half to
		 * all of it at random.
		 */
		SPREAD,

		/**
		 * As {@link #SPREAD}, then none to all of it at random ("full jitter").
		 */
		FULL,

		/**
		 * No backoff: half to all of a share of the remaining validity (a second once expired).
		 */
		SHARE

	}

	/**
	 * Return the delay before retrying a rotation whose new credentials the database refused:
	 * plain exponential backoff, never faster than the first retry delay, so that a wrong database
	 * URL or a broken role cannot make the application issue and revoke leases in a loop.
	 * @param attempt the retry number, from 1
	 * @param remaining the current lease's remaining validity
	 * @return the delay
	 */
	public Duration validationRetryDelay(int attempt, Duration remaining) {
		long delay = backoff(attempt);
		if (!remaining.isNegative() && !remaining.isZero()) {
			delay = Math.min(delay, remaining.toMillis() / 3);
		}
		return Duration.ofMillis(Math.max(delay, this.retryInitial.toMillis()));
	}

	private long backoff(int attempt) {
		long initial = this.retryInitial.toMillis();
		long max = this.retryMax.toMillis();
		int exponent = Math.min(Math.max(attempt - 1, 0), 20);
		long backoff = Math.min(max, initial * (1L << exponent));
		return (long) (backoff * (1 - spread(0, this.jitter)));
	}

	private double spread(double low, double high) {
		return (high > low) ? this.random.nextDouble(low, high) : low;
	}

	private static Duration scale(Duration duration, double factor) {
		return Duration.ofNanos((long) (duration.toNanos() * factor));
	}

	private static Duration min(Duration a, Duration b) {
		return (a.compareTo(b) <= 0) ? a : b;
	}

}
