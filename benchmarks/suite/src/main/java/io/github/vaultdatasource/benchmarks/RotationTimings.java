package io.github.vaultdatasource.benchmarks;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.github.vaultdatasource.event.CredentialsRotatedEvent;
import io.github.vaultdatasource.event.CredentialsRotatedEvent.Timings;

/**
 * The steps of one rotation as the library reports them in its {@link CredentialsRotatedEvent}
 * ({@link Timings}), placed on the run's time axis (nanoseconds from the load's origin).
 * <p>
 * The steps follow each other: issue (Vault answers), validation (the new user's first connection,
 * and the connections opened ahead of the switch; the pool switches at its end), surge (until the
 * surge's new connections are open; the old ones are evicted at its end, so <em>evict</em> is a
 * moment, not a step), drain (until no old connection remains), then the random wait before the
 * revocation (the jitter's, which spreads a fleet's revocations), revoke (Vault revokes the old
 * lease; the event arrives at its end).
 * <p>
 * The rotation's window runs from its start to the event's arrival, the wait included: all of the
 * rotation's work, the revocation too, falls inside it (and the control windows it is compared with
 * have the same length), so a revocation never lands in a control window.
 *
 * @param startNanos when the rotation began (the event's arrival less the steps' sum and the wait)
 * @param endNanos when the event arrived (old lease revoked)
 * @param issue asking Vault until it answered
 * @param validation the new credentials' validation and the connections opened ahead, until the
 * switch
 * @param surge from the switch until the surge's new connections were open (zero without a surge)
 * @param drain from the eviction until no old connection remained
 * @param revokeWait from the end of the drain until the revocation began
 * @param revoke Vault revoking the old lease
 * @param oldConnectionsLeft old connections still open at the drain deadline
 * @param reason why the library rotated
 */
record RotationTimings(long startNanos, long endNanos, Duration issue, Duration validation, Duration surge,
		Duration drain, Duration revokeWait, Duration revoke, int oldConnectionsLeft, String reason) {

	static RotationTimings of(CredentialsRotatedEvent event, long arrivedNanos) {
		Timings timings = event.getTimings();
		long begin = arrivedNanos - timings.total().toNanos() - timings.revokeWait().toNanos();
		return new RotationTimings(begin, arrivedNanos, timings.issue(), timings.validation(),
				timings.surge(), timings.drain(), timings.revokeWait(), timings.revoke(), event.getOldConnectionsLeft(),
				event.getReason().toString());
	}

	Duration total() {
		return this.issue.plus(this.validation).plus(this.surge).plus(this.drain).plus(this.revoke);
	}

	/**
	 * Return when the new credentials were issued (nanoseconds on the run's axis).
	 * @return the moment
	 */
	long issuedNanos() {
		return this.startNanos + this.issue.toNanos();
	}

	/**
	 * Return when the pool switched to the new credentials.
	 * @return the moment
	 */
	long switchedNanos() {
		return issuedNanos() + this.validation.toNanos();
	}

	/**
	 * Return when the surge was ready and the old connections were evicted.
	 * @return the moment
	 */
	long evictedNanos() {
		return switchedNanos() + this.surge.toNanos();
	}

	/**
	 * Return when no old connection remained.
	 * @return the moment
	 */
	long drainedNanos() {
		return evictedNanos() + this.drain.toNanos();
	}

	long[] window() {
		return new long[] { this.startNanos, this.endNanos };
	}

	/**
	 * Return the figures for the JSON file, in milliseconds.
	 * @return name to value
	 */
	Map<String, Object> toMap() {
		Map<String, Object> phase = new LinkedHashMap<>();
		phase.put("startSeconds", this.startNanos / 1e9);
		phase.put("issueMillis", this.issue.toMillis());
		phase.put("validationMillis", this.validation.toMillis());
		phase.put("surgeMillis", this.surge.toMillis());
		phase.put("evictAtMillis", (evictedNanos() - this.startNanos) / 1_000_000);
		phase.put("drainMillis", this.drain.toMillis());
		phase.put("revokeWaitMillis", this.revokeWait.toMillis());
		phase.put("revokeMillis", this.revoke.toMillis());
		phase.put("totalMillis", total().toMillis());
		phase.put("oldConnectionsLeft", this.oldConnectionsLeft);
		phase.put("reason", this.reason);
		return phase;
	}

}
