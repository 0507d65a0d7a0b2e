package io.github.vaultdatasource.lease;

import java.time.Duration;
import java.time.Instant;
import java.util.random.RandomGenerator;

import io.github.vaultdatasource.CredentialLease;

/**
 * The timing decisions of the lease lifecycle, free of I/O so they can be tested exactly: when to
 * renew, when to rotate, how long to wait before a retry.
 */
public final class LeasePolicy {

	private static final Duration MIN_RETRY_DELAY = Duration.ofMillis(200);

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
	 * @param jitter relative spread applied to delays, in [0, 0.5]
	 * @param drainShare share of the lease duration kept as drain budget when rotating, in (0, 1)
	 * @param minDrainBudget least drain budget
	 * @param retryInitial first retry delay
	 * @param retryMax longest retry delay
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
		this.renewShare = renewShare;
		this.jitter = jitter;
		this.drainShare = drainShare;
		this.minDrainBudget = minDrainBudget;
		this.retryInitial = retryInitial;
		this.retryMax = retryMax;
		this.random = random;
	}

	/**
	 * Return the delay until the next renewal of a lease just issued or renewed for {@code ttl}:
	 * the renew share of it, spread by the jitter so a fleet does not renew in lockstep.
	 * @param ttl the granted lease duration
	 * @return the delay
	 */
	public Duration renewDelay(Duration ttl) {
		double factor = this.renewShare * (1 + spread(-this.jitter, this.jitter));
		return scale(ttl, Math.min(factor, 0.95));
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
	 * Return when to rotate a lease that cannot be renewed further: the drain budget before it
	 * expires, moved earlier by up to the jitter share of the budget.
	 * @param lease the lease
	 * @param issuedTtl the lease duration granted on issue
	 * @return the rotation time
	 */
	public Instant rotateAt(CredentialLease lease, Duration issuedTtl) {
		Duration budget = drainBudget(issuedTtl);
		Duration early = scale(budget, spread(0, this.jitter));
		return lease.expiresAt().minus(budget).minus(early);
	}

	/**
	 * Return the delay before retry number {@code attempt} (1 for the first): exponential backoff
	 * with jitter, bounded so that several attempts fit into the lease's remaining validity.
	 * @param attempt the retry number, from 1
	 * @param remaining the lease's remaining validity, negative once expired
	 * @return the delay
	 */
	public Duration retryDelay(int attempt, Duration remaining) {
		long initial = this.retryInitial.toMillis();
		long max = this.retryMax.toMillis();
		int exponent = Math.min(Math.max(attempt - 1, 0), 30);
		long backoff = Math.min(max, initial * (1L << Math.min(exponent, 20)));
		long jittered = (long) (backoff * (1 - spread(0, this.jitter)));
		if (!remaining.isNegative() && !remaining.isZero()) {
			jittered = Math.min(jittered, remaining.toMillis() / 3);
		}
		return Duration.ofMillis(Math.max(jittered, MIN_RETRY_DELAY.toMillis()));
	}

	private double spread(double low, double high) {
		return (high > low) ? this.random.nextDouble(low, high) : low;
	}

	private static Duration scale(Duration duration, double factor) {
		return Duration.ofNanos((long) (duration.toNanos() * factor));
	}

}
