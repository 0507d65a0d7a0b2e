package io.github.vaultdatasource.lease;

import java.time.Duration;
import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * A snapshot of one managed lease for health, the actuator endpoint and metrics, in a few named
 * parts: the current lease, what happens next, failures, and totals. It holds the username and a
 * shortened lease id, never a password, token or full lease id.
 *
 * @param dataSourceName the data source bean name
 * @param role the Vault role
 * @param state the lease's state
 * @param lease the current lease, {@code null} before the first issue
 * @param next what the lifecycle will do next
 * @param failures failures since the latest success
 * @param history when the latest renewal and rotation happened
 * @param counts the totals at the snapshot
 */
public record LeaseStatus(String dataSourceName, String role, State state, @Nullable Current lease, Next next,
		Failures failures, History history, Counts counts) {

	/**
	 * Return the current database username.
	 * @return the username, {@code null} before the first issue
	 */
	public @Nullable String username() {
		return (this.lease != null) ? this.lease.username() : null;
	}

	/**
	 * Return the time left on the current lease at the snapshot.
	 * @return the time left, negative once expired, {@code null} before the first issue
	 */
	public @Nullable Duration timeToExpiry() {
		return (this.lease != null) ? this.lease.timeToExpiry() : null;
	}

	/**
	 * The current lease.
	 *
	 * @param username the database user
	 * @param shortLeaseId the shortened lease id
	 * @param issuedAt when the credentials were issued (when the request was sent)
	 * @param expiresAt when the lease expires unless renewed
	 * @param timeToExpiry the time left at the snapshot, negative once expired
	 * @param ttl the duration Vault granted when it issued the lease
	 * @param renewable whether the lease can be renewed
	 * @param endsAt when the lease ends for good ({@code max_ttl}), when known
	 */
	public record Current(String username, String shortLeaseId, Instant issuedAt, Instant expiresAt,
			Duration timeToExpiry, Duration ttl, boolean renewable, @Nullable Instant endsAt) {

	}

	/**
	 * What the lifecycle will do next.
	 *
	 * @param action the action
	 * @param at when, {@code null} when nothing is planned
	 */
	public record Next(NextAction action, @Nullable Instant at) {

	}

	/**
	 * Failures since the latest success.
	 *
	 * @param consecutive how many operations failed in a row
	 * @param last description of the latest failure, free of secrets
	 */
	public record Failures(int consecutive, @Nullable String last) {

	}

	/**
	 * When the latest successes happened.
	 *
	 * @param lastRenewal the latest successful renewal
	 * @param lastRotation the latest switch to new credentials
	 */
	public record History(@Nullable Instant lastRenewal, @Nullable Instant lastRotation) {

	}

	/**
	 * The totals at the snapshot; {@link LeaseLifecycle#counters()} has them by outcome, reason and
	 * kind.
	 *
	 * @param issued credentials Vault issued, including ones the database did not accept
	 * @param renewals successful renewals
	 * @param rotations switches to new credentials
	 * @param failures failed operations
	 * @param revocations leases revoked
	 * @param unrevoked leases that could not be revoked, or were left to expire, still valid
	 */
	public record Counts(long issued, long renewals, long rotations, long failures, long revocations,
			int unrevoked) {

		static Counts of(LeaseCounters counters, Instant now) {
			return new Counts(counters.issued(), counters.renewals(), counters.rotations(), counters.failures(),
					counters.revocations(), counters.unrevoked(now));
		}

	}

	/**
	 * The state of a managed lease.
	 */
	public enum State {

		/**
		 * No credentials issued yet.
		 */
		STARTING,

		/**
		 * Credentials are valid and the latest operation succeeded.
		 */
		ACTIVE,

		/**
		 * Credentials are still valid but renewing or rotating keeps failing.
		 */
		FAILING,

		/**
		 * The database or Vault no longer accepts the current credentials, and no new ones could be
		 * issued yet.
		 */
		REVOKED,

		/**
		 * The lease has expired and no new credentials could be issued.
		 */
		EXPIRED,

		/**
		 * The lifecycle could not plan its next step; it no longer renews or rotates.
		 */
		FAILED,

		/**
		 * The lifecycle was stopped.
		 */
		STOPPED

	}

}
