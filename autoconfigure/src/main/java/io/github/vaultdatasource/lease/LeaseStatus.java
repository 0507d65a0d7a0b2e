package io.github.vaultdatasource.lease;

import java.time.Duration;
import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * A snapshot of one managed lease for health, the actuator endpoint and metrics. It holds the
 * username and a shortened lease id, never a password, token or full lease id.
 *
 * @param dataSourceName the data source bean name
 * @param role the Vault role
 * @param state the lease's state
 * @param username the current database username, {@code null} before the first issue
 * @param shortLeaseId the shortened lease id, {@code null} before the first issue
 * @param issuedAt when the current credentials were issued
 * @param expiresAt when the current lease expires unless renewed
 * @param timeToExpiry the time left at the snapshot
 * @param renewable whether the lease is renewable
 * @param lastRenewal the latest successful renewal
 * @param lastRotation the latest successful rotation
 * @param consecutiveFailures failures since the latest success
 * @param lastFailure description of the latest failure, free of secrets
 * @param nextAction what the scheduler will do next
 * @param nextActionAt when it will do it
 * @param renewals successful renewals so far
 * @param rotations successful rotations so far
 * @param failures failed operations so far
 * @param revocations leases revoked so far
 */
public record LeaseStatus(String dataSourceName, String role, State state, @Nullable String username,
		@Nullable String shortLeaseId, @Nullable Instant issuedAt, @Nullable Instant expiresAt,
		@Nullable Duration timeToExpiry, boolean renewable, @Nullable Instant lastRenewal,
		@Nullable Instant lastRotation, int consecutiveFailures, @Nullable String lastFailure, NextAction nextAction,
		@Nullable Instant nextActionAt, long renewals, long rotations, long failures, long revocations) {

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
		 * Vault reported the lease revoked or unknown and no new credentials could be issued yet.
		 */
		REVOKED,

		/**
		 * The lease has expired and no new credentials could be issued.
		 */
		EXPIRED,

		/**
		 * The lifecycle was stopped.
		 */
		STOPPED

	}

}
