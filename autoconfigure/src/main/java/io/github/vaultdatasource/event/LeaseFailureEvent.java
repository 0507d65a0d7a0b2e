package io.github.vaultdatasource.event;

import java.time.Instant;

import io.github.vaultdatasource.FailureKind;
import io.github.vaultdatasource.RotationReason;
import org.jspecify.annotations.Nullable;

/**
 * Published when renewing, rotating or revoking failed. The current credentials stay in use while
 * they are valid and the operation is retried with backoff.
 */
public class LeaseFailureEvent extends VaultDataSourceEvent {

	private final FailureKind kind;

	private final String message;

	private final int consecutiveFailures;

	private final @Nullable RotationReason rotationReason;

	public LeaseFailureEvent(Object source, String dataSourceName, String username, String shortLeaseId,
			Instant timestamp, FailureKind kind, String message, int consecutiveFailures,
			@Nullable RotationReason rotationReason) {
		super(source, dataSourceName, username, shortLeaseId, timestamp);
		this.kind = kind;
		this.message = message;
		this.consecutiveFailures = consecutiveFailures;
		this.rotationReason = rotationReason;
	}

	/**
	 * Return what failed.
	 * @return the failure kind
	 */
	public FailureKind getKind() {
		return this.kind;
	}

	/**
	 * Return a description of the failure, free of secrets.
	 * @return the message
	 */
	public String getMessage() {
		return this.message;
	}

	/**
	 * Return how many operations in a row have failed.
	 * @return the consecutive failures
	 */
	public int getConsecutiveFailures() {
		return this.consecutiveFailures;
	}

	/**
	 * Return why the failed rotation was started.
	 * @return the reason, {@code null} unless a rotation failed ({@link FailureKind#ISSUE} or
	 * {@link FailureKind#VALIDATION})
	 */
	public @Nullable RotationReason getRotationReason() {
		return this.rotationReason;
	}

}
