package io.github.vaultdatasource.health;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

import io.github.vaultdatasource.lease.LeaseStatus;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Health of the Vault lease behind one data source: {@code UP} while its credentials are valid
 * (even if a renewal failed, while expiry is further away than the threshold),
 * {@code OUT_OF_SERVICE} when renewing or rotating keeps failing and expiry is nearer than the
 * threshold, {@code DOWN} when the credentials have expired or Vault reported the lease revoked.
 */
public class VaultLeaseHealthIndicator extends AbstractHealthIndicator {

	private final Supplier<LeaseStatus> status;

	private final Duration expiryThreshold;

	/**
	 * Create an indicator.
	 * @param status the lease's current status
	 * @param expiryThreshold how close to expiry a failing lease turns {@code OUT_OF_SERVICE}
	 */
	public VaultLeaseHealthIndicator(Supplier<LeaseStatus> status, Duration expiryThreshold) {
		super("Vault lease health check failed");
		this.status = status;
		this.expiryThreshold = expiryThreshold;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		LeaseStatus lease = this.status.get();
		builder.status(status(lease));
		builder.withDetail("role", lease.role()).withDetail("state", lease.state().name());
		detail(builder, "username", lease.username());
		detail(builder, "leaseId", lease.shortLeaseId());
		detail(builder, "expiresAt", lease.expiresAt());
		Duration timeToExpiry = lease.timeToExpiry();
		if (timeToExpiry != null) {
			builder.withDetail("timeToExpiry", timeToExpiry.toString());
		}
		builder.withDetail("renewable", lease.renewable());
		detail(builder, "lastRenewal", lease.lastRenewal());
		detail(builder, "lastRotation", lease.lastRotation());
		builder.withDetail("consecutiveFailures", lease.consecutiveFailures());
		detail(builder, "lastFailure", lease.lastFailure());
		builder.withDetail("nextAction", lease.nextAction().name());
		detail(builder, "nextActionAt", lease.nextActionAt());
	}

	private Status status(LeaseStatus lease) {
		return switch (lease.state()) {
			case ACTIVE -> Status.UP;
			case FAILING -> nearExpiry(lease) ? Status.OUT_OF_SERVICE : Status.UP;
			case EXPIRED, REVOKED -> Status.DOWN;
			case STOPPED -> Status.OUT_OF_SERVICE;
			case STARTING -> Status.UNKNOWN;
		};
	}

	private boolean nearExpiry(LeaseStatus lease) {
		Duration timeToExpiry = lease.timeToExpiry();
		return timeToExpiry == null || timeToExpiry.compareTo(this.expiryThreshold) < 0;
	}

	private static void detail(Health.Builder builder, String key, @Nullable Object value) {
		if (value != null) {
			builder.withDetail(key, (value instanceof Instant instant) ? instant.toString() : value);
		}
	}

}
