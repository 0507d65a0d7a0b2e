package io.github.vaultdatasource.benchmarks;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.github.vaultdatasource.event.CredentialsRotatedEvent;
import org.jspecify.annotations.Nullable;

/**
 * The phases of one rotation as the library reports them in its {@link CredentialsRotatedEvent},
 * placed on the run's time axis (nanoseconds from the load's origin).
 * <p>
 * The protocol has five steps: issue (and validate), surge ready (the new generation's
 * connections are open), evict (the old ones soft-evicted), drained, revoked. Today's event
 * reports surge-ready and evict together as one <em>switch</em> duration, so {@code surgeReady}
 * and {@code evict} stay {@code null}; when the event offers them, fill them in {@link #of} and
 * the report shows them without further changes.
 *
 * @param startNanos when the rotation began
 * @param endNanos when the event arrived (old lease revoked)
 * @param issue issue and validation of the new credentials
 * @param surgeReady from issued until the surge's connections were open, when reported
 * @param evict from surge ready until the old connections were soft-evicted, when reported
 * @param switched the whole switch (surge wait and evict)
 * @param drain until no old connection remained
 * @param revoke the old lease's revocation
 * @param oldConnectionsLeft old connections still open at the drain deadline
 * @param reason why the library rotated
 */
record RotationTimings(long startNanos, long endNanos, Duration issue, @Nullable Duration surgeReady,
		@Nullable Duration evict, Duration switched, Duration drain, Duration revoke, int oldConnectionsLeft,
		String reason) {

	static RotationTimings of(CredentialsRotatedEvent event, long arrivedNanos) {
		long begin = arrivedNanos - event.getTotalDuration().toNanos();
		return new RotationTimings(begin, arrivedNanos, event.getIssueDuration(), null, null,
				event.getSwitchDuration(), event.getDrainDuration(), event.getRevokeDuration(),
				event.getOldConnectionsLeft(), event.getReason().toString());
	}

	Duration total() {
		return this.issue.plus(this.switched).plus(this.drain).plus(this.revoke);
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
		if (this.surgeReady != null) {
			phase.put("surgeReadyMillis", this.surgeReady.toMillis());
		}
		if (this.evict != null) {
			phase.put("evictMillis", this.evict.toMillis());
		}
		phase.put("switchMillis", this.switched.toMillis());
		phase.put("drainMillis", this.drain.toMillis());
		phase.put("revokeMillis", this.revoke.toMillis());
		phase.put("totalMillis", total().toMillis());
		phase.put("oldConnectionsLeft", this.oldConnectionsLeft);
		phase.put("reason", this.reason);
		return phase;
	}

}
