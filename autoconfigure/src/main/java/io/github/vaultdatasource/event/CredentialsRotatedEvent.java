package io.github.vaultdatasource.event;

import java.time.Duration;
import java.time.Instant;

import io.github.vaultdatasource.RotationReason;

/**
 * Published when a data source has switched to new credentials, drained the connections of the old
 * ones and revoked the old lease (or given up revoking it), with how long each step took. With
 * {@code vault.lease.jitter} above 0 the revocation, and so this event, comes a random moment (at
 * most 2 s, {@link Timings#revokeWait()}) after the drain.
 */
public class CredentialsRotatedEvent extends VaultDataSourceEvent {

	private final String previousUsername;

	private final RotationReason reason;

	private final Timings timings;

	private final int oldConnectionsLeft;

	private final boolean previousRevoked;

	public CredentialsRotatedEvent(Object source, String dataSourceName, String username, String shortLeaseId,
			Instant timestamp, String previousUsername, RotationReason reason, Timings timings, int oldConnectionsLeft,
			boolean previousRevoked) {
		super(source, dataSourceName, username, shortLeaseId, timestamp);
		this.previousUsername = previousUsername;
		this.reason = reason;
		this.timings = timings;
		this.oldConnectionsLeft = oldConnectionsLeft;
		this.previousRevoked = previousRevoked;
	}

	/**
	 * Return the username the pool used before the rotation.
	 * @return the previous username
	 */
	public String getPreviousUsername() {
		return this.previousUsername;
	}

	/**
	 * Return why the credentials were rotated.
	 * @return the reason
	 */
	public RotationReason getReason() {
		return this.reason;
	}

	/**
	 * Return how long each step of the rotation took.
	 * @return the timings
	 */
	public Timings getTimings() {
		return this.timings;
	}

	/**
	 * Return the time from asking Vault until it issued the new credentials.
	 * @return the issue duration
	 */
	public Duration getIssueDuration() {
		return this.timings.issue();
	}

	/**
	 * Return the time from the switch until the pool's surge of new-credential connections was
	 * ready (zero without a surge).
	 * @return the surge duration
	 */
	public Duration getSwitchDuration() {
		return this.timings.surge();
	}

	/**
	 * Return the time from evicting the old connections until none remained.
	 * @return the drain duration
	 */
	public Duration getDrainDuration() {
		return this.timings.drain();
	}

	/**
	 * Return the time from the end of the drain until the revocation of the old lease began: the
	 * random wait that keeps a fleet's revocations apart from its issues (without jitter, only the
	 * moment the revocation waited for its turn).
	 * @return the wait before the revocation
	 */
	public Duration getRevokeWait() {
		return this.timings.revokeWait();
	}

	/**
	 * Return the time Vault took to revoke the old lease.
	 * @return the revoke duration
	 */
	public Duration getRevokeDuration() {
		return this.timings.revoke();
	}

	/**
	 * Return how many connections of the old credentials were still open when the drain deadline
	 * passed; 0 after a complete drain.
	 * @return the old connections left
	 */
	public int getOldConnectionsLeft() {
		return this.oldConnectionsLeft;
	}

	/**
	 * Return whether the old lease was revoked; when not, Vault revokes it when it expires.
	 * @return whether the previous lease was revoked
	 */
	public boolean isPreviousRevoked() {
		return this.previousRevoked;
	}

	/**
	 * Return what the rotation cost: the sum of its steps, from asking Vault to the old lease
	 * revoked, without the wait before the revocation.
	 * @return the total duration
	 */
	public Duration getTotalDuration() {
		return this.timings.total();
	}

	/**
	 * How long each step of a rotation took.
	 *
	 * @param issue asking Vault for new credentials until it answered
	 * @param validation the database accepting the new credentials on one direct connection
	 * @param surge from the switch until the surge's new connections were open (zero without one)
	 * @param drain from evicting the old connections until none remained
	 * @param revokeWait from the end of the drain until the revocation began: a random wait
	 * ({@code vault.lease.jitter}) so that a fleet's revocations do not fall in the same second as
	 * its issues, as measured (so it includes the moment the revocation waited for its turn);
	 * without jitter, for dead credentials and for a static role only that moment
	 * @param revoke Vault revoking the old lease
	 */
	public record Timings(Duration issue, Duration validation, Duration surge, Duration drain, Duration revokeWait,
			Duration revoke) {

		/**
		 * Return the sum of the steps, without the wait before the revocation: what the rotation
		 * cost, which its lead time must cover.
		 * @return the total
		 */
		public Duration total() {
			return this.issue.plus(this.validation).plus(this.surge).plus(this.drain).plus(this.revoke);
		}

	}

}
