package io.github.vaultdatasource.event;

import java.time.Duration;
import java.time.Instant;

import io.github.vaultdatasource.RotationReason;

/**
 * Published when a data source switched to new credentials and drained the old ones.
 */
public class CredentialsRotatedEvent extends VaultDataSourceEvent {

	private final String previousUsername;

	private final RotationReason reason;

	private final Duration issueDuration;

	private final Duration switchDuration;

	private final Duration drainDuration;

	private final Duration revokeDuration;

	private final int oldConnectionsLeft;

	public CredentialsRotatedEvent(Object source, String dataSourceName, String username, String shortLeaseId,
			Instant timestamp, String previousUsername, RotationReason reason, Duration issueDuration,
			Duration switchDuration, Duration drainDuration, Duration revokeDuration, int oldConnectionsLeft) {
		super(source, dataSourceName, username, shortLeaseId, timestamp);
		this.previousUsername = previousUsername;
		this.reason = reason;
		this.issueDuration = issueDuration;
		this.switchDuration = switchDuration;
		this.drainDuration = drainDuration;
		this.revokeDuration = revokeDuration;
		this.oldConnectionsLeft = oldConnectionsLeft;
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
	 * Return the time from the start of the rotation until Vault issued and the database accepted
	 * the new credentials.
	 * @return the issue and validation duration
	 */
	public Duration getIssueDuration() {
		return this.issueDuration;
	}

	/**
	 * Return the time to switch the pool to the new credentials.
	 * @return the switch duration
	 */
	public Duration getSwitchDuration() {
		return this.switchDuration;
	}

	/**
	 * Return the time until no connection of the old credentials remained in the pool.
	 * @return the drain duration
	 */
	public Duration getDrainDuration() {
		return this.drainDuration;
	}

	/**
	 * Return the time Vault took to revoke the old lease.
	 * @return the revoke duration
	 */
	public Duration getRevokeDuration() {
		return this.revokeDuration;
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
	 * Return the total rotation time, issue to revoked.
	 * @return the total duration
	 */
	public Duration getTotalDuration() {
		return this.issueDuration.plus(this.switchDuration).plus(this.drainDuration).plus(this.revokeDuration);
	}

}
