package io.github.vaultdatasource.lease;

import java.time.Duration;
import java.time.Instant;
import java.util.random.RandomGenerator;

/**
 * The timing decisions of the lease lifecycle, free of I/O so they can be tested exactly: when to
 * renew, how long before a lease's end to rotate, how long to wait before a retry.
 * <p>
 * Two things set how early a rotation starts: a share of the lease's TTL (the drain budget), and
 * what rotations are observed to cost (Vault's answer, validation, the pool's switch and drain):
 * a slow Vault moves rotations earlier instead of letting them run into the lease's end.
 * <p>
 * A fleet's calls to Vault are spread in time: renewals by the jitter, the first rotation of an
 * instance at a random phase of its lease, retries over a share of what the lease has left, the
 * revocation of a rotated lease a moment after its drain.
 */
public final class LeasePolicy {

	private static final Duration MIN_RETRY_DELAY = Duration.ofMillis(200);

	private static final Duration EXPIRED_RETRY_DELAY = Duration.ofSeconds(1);

	private static final Duration LONGEST_RETRY_DELAY = Duration.ofMinutes(10);

	private static final Duration MIN_RENEW_DELAY = Duration.ofMillis(200);

	/**
	 * The shares of a lease's remaining validity a retry waits, with jitter: from a fifth to nine
	 * tenths, so that the calls a fleet retries after an outage come back spread over most of what
	 * its leases can wait.
	 */
	private static final double RETRY_LEAST_SHARE = 0.2;

	private static final double RETRY_MOST_SHARE = 0.9;

	private static final Duration LONGEST_REVOKE_DELAY = Duration.ofSeconds(2);

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

	/**
	 * Create a policy.
	 * @param renewShare share of the lease duration after which to renew, in (0, 1)
	 * @param jitter relative spread applied to delays and rotation times, in [0, 0.5]
	 * @param drainShare share of the lease duration kept as drain budget when rotating, in (0, 1)
	 * @param minDrainBudget least drain budget
	 * @param retryInitial first delay before retrying a rotation whose new credentials the database
	 * refused
	 * @param retryMax longest such delay
	 * @param random source of jitter
	 */
	public LeasePolicy(double renewShare, double jitter, double drainShare, Duration minDrainBudget,
			Duration retryInitial, Duration retryMax, RandomGenerator random) {
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
	 * Return when to renew a lease that is being replaced, while its rotation runs: at half of what
	 * it has left, but never later than its regular renewal would come (the renew share of what it was
	 * last granted, without jitter), nor later than two of Vault's observed answers before it ends. A
	 * rotation that starts just after a renewal would otherwise leave the lease less time for Vault's
	 * answer than its regular renewals have.
	 * @param remaining what the lease has left
	 * @param granted what it was last granted
	 * @param vaultLatency how long Vault's answers take lately
	 * @return the delay, never negative
	 */
	public Duration keepAliveDelay(Duration remaining, Duration granted, Duration vaultLatency) {
		Duration delay = remaining.dividedBy(2);
		delay = min(delay, remaining.minus(scale(granted, 1 - this.renewShare)));
		delay = min(delay, remaining.minus(vaultLatency.multipliedBy(2)));
		return delay.isNegative() ? Duration.ZERO : delay;
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
		Duration lead = safeLead(end, issuedAt, issuedTtl, rotationCost);
		Duration window = Duration.between(issuedAt, end).minus(lead);
		Duration early = scale(window.isNegative() ? Duration.ZERO : window, spread(0, this.jitter));
		return end.minus(lead).minus(early);
	}

	/**
	 * Return the latest moment to rotate a lease that will not be renewed before its expiry: the
	 * lead time before that expiry, but never in the first quarter of what the lease was last
	 * granted. A lease shorter than the lead would otherwise be rotated the moment it arrives,
	 * leaving a new lease just as short: at a start, before any rotation was measured and while the
	 * cost estimate includes all a switch may take, a 3 s lease was rotated three or four times in
	 * a row. A quarter in, the rotation still starts with three quarters of the lease left.
	 * @param expiresAt when the lease expires unless renewed
	 * @param grantedTtl what it was last granted, on issue or renewal
	 * @param issuedTtl the lease duration granted on issue
	 * @param rotationCost what a rotation takes lately
	 * @return the rotation time
	 */
	public Instant lastSafeRotation(Instant expiresAt, Duration grantedTtl, Duration issuedTtl,
			Duration rotationCost) {
		Duration lead = rotationLead(issuedTtl, rotationCost);
		Duration latestLead = scale(grantedTtl, 1 - MIN_LIFE_SHARE);
		return expiresAt.minus((lead.compareTo(latestLead) > 0) ? latestLead : lead);
	}

	/**
	 * Return when to rotate a lease that ends at {@code end} at a random phase: a uniformly random
	 * point of its safe window, from its issue to the lead time before its end. Once per
	 * lifecycle, for the first lease whose end is known early in its life, so that a fleet deployed
	 * at once (whose rotations {@code max_ttl} would otherwise tie to the deploy) takes random
	 * phases from then on, and Vault sees its rotations spread over the whole {@code max_ttl}.
	 * Without jitter, no random phase: the same time as {@link #rotateAt}.
	 * @param end when the lease ends for good
	 * @param issuedAt when the lease was issued
	 * @param issuedTtl the lease duration granted on issue
	 * @param rotationCost what a rotation takes lately
	 * @return the rotation time, never later than {@link #rotateAt} without jitter
	 */
	public Instant rotateAtRandomPhase(Instant end, Instant issuedAt, Duration issuedTtl, Duration rotationCost) {
		Duration lead = safeLead(end, issuedAt, issuedTtl, rotationCost);
		Duration window = Duration.between(issuedAt, end).minus(lead);
		double phase = (this.jitter > 0) ? spread(0, 1) : 0;
		return end.minus(lead).minus(scale(window.isNegative() ? Duration.ZERO : window, phase));
	}

	/**
	 * Return whether a rotation planned at {@code now} for a lease issued at {@code issuedAt} that
	 * ends at {@code end} is planned early in the lease's life (in its first quarter), where a
	 * random phase moves no rotation that was already close.
	 * @param now when the rotation is planned
	 * @param end when the lease ends for good
	 * @param issuedAt when the lease was issued
	 * @return whether a random phase may be taken
	 */
	public boolean isEarlyInLife(Instant now, Instant end, Instant issuedAt) {
		return !now.isAfter(issuedAt.plus(scale(Duration.between(issuedAt, end), MIN_LIFE_SHARE)));
	}

	// The rotation lead, at most the last three quarters of the lease's life.
	private Duration safeLead(Instant end, Instant issuedAt, Duration issuedTtl, Duration rotationCost) {
		Duration lead = rotationLead(issuedTtl, rotationCost);
		Duration latestLead = scale(Duration.between(issuedAt, end), 1 - MIN_LIFE_SHARE);
		return (lead.compareTo(latestLead) > 0) ? latestLead : lead;
	}

	/**
	 * Return the delay before retrying a failed Vault call (a renewal, or the issue of a
	 * rotation): a random fifth to nine tenths of the lease's remaining validity (of ten minutes
	 * when more is left), so that a fleet whose calls all failed in the same outage comes back
	 * spread over most of what its leases can wait, instead of in Vault's first second back,
	 * while an instance still tries ever more often as its lease nears its end. Never later than
	 * the last moment a rotation can still be done in time: what a rotation costs before the
	 * lease's expiry (when even that has passed, half of what is left); near it, the range is
	 * scaled down so that nine tenths of it is that moment. At most a second once
	 * expired, at least 200 ms. Without jitter, half of the remaining validity, at most ten
	 * minutes.
	 * @param remaining the lease's remaining validity, negative once expired
	 * @param rotationCost what a rotation takes lately
	 * @return the delay
	 */
	public Duration retryDelay(Duration remaining, Duration rotationCost) {
		long delay;
		if (remaining.isNegative() || remaining.isZero()) {
			delay = EXPIRED_RETRY_DELAY.toMillis();
			if (this.jitter > 0) {
				delay = (long) (delay * spread(0.5, 1));
			}
		}
		else {
			long left = remaining.toMillis();
			long latest = remaining.minus(rotationCost).toMillis();
			long cap = (latest > 0) ? latest : left / 2;
			if (this.jitter > 0) {
				// The range shrinks so that its top is the cap: drawn from the full range and then
				// capped, many retries would land on the cap itself, together.
				double range = Math.min(Math.min(left, LONGEST_RETRY_DELAY.toMillis()), cap / RETRY_MOST_SHARE);
				delay = (long) (range * spread(RETRY_LEAST_SHARE, RETRY_MOST_SHARE));
			}
			else {
				delay = Math.min(left / 2, LONGEST_RETRY_DELAY.toMillis());
			}
			delay = Math.min(delay, cap);
		}
		return Duration.ofMillis(Math.max(delay, MIN_RETRY_DELAY.toMillis()));
	}

	/**
	 * Return how long to wait, once a rotation's old connections are drained, before revoking its
	 * old lease: a random moment between half and all of the jitter's share of the lease's
	 * remaining validity, at most two seconds, so that a fleet's revocations spread when many
	 * rotations happen together and fall in other seconds than the issues they follow (a pool that
	 * drains at once would otherwise ask Vault twice in the same instant). Never less than half:
	 * at the usual two seconds, at least one, so that an instance never sends its issue and its
	 * revoke within one second (a delay from zero up put a quarter of a fleet's revokes in the
	 * second of their issue). Two seconds keep a rotation, which ends with its revocation, short.
	 * Nobody uses the old lease any more, and it stays valid until its expiry whether revoked or
	 * not: the wait only ends it a little later than it could. Without jitter, or once the lease
	 * has expired, none.
	 * @param remaining the old lease's remaining validity, negative once expired
	 * @return the delay, never longer than the jitter's share of {@code remaining}
	 */
	public Duration revokeDelay(Duration remaining) {
		if (this.jitter == 0 || remaining.isNegative() || remaining.isZero()) {
			return Duration.ZERO;
		}
		Duration longest = min(scale(remaining, this.jitter), LONGEST_REVOKE_DELAY);
		return scale(longest, spread(0.5, 1));
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
