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
 * threshold (at most a third of the lease's TTL), {@code DOWN} when the credentials have expired, Vault or the database reported them
 * revoked, or the lifecycle failed and no longer renews.
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
		LeaseStatus status = this.status.get();
		builder.status(status(status));
		builder.withDetail("role", status.role()).withDetail("state", status.state().name());
		LeaseStatus.Current lease = status.lease();
		if (lease != null) {
			builder.withDetail("username", lease.username())
				.withDetail("leaseId", lease.shortLeaseId())
				.withDetail("expiresAt", lease.expiresAt().toString())
				.withDetail("timeToExpiry", lease.timeToExpiry().toString())
				.withDetail("renewable", lease.renewable());
			detail(builder, "endsAt", lease.endsAt());
		}
		detail(builder, "lastRenewal", status.history().lastRenewal());
		detail(builder, "lastRotation", status.history().lastRotation());
		builder.withDetail("consecutiveFailures", status.failures().consecutive());
		detail(builder, "lastFailure", status.failures().last());
		builder.withDetail("nextAction", status.next().action().name());
		detail(builder, "nextActionAt", status.next().at());
	}

	private Status status(LeaseStatus lease) {
		return switch (lease.state()) {
			case ACTIVE -> Status.UP;
			case FAILING -> nearExpiry(lease) ? Status.OUT_OF_SERVICE : Status.UP;
			case EXPIRED, REVOKED, FAILED -> Status.DOWN;
			case STOPPED -> Status.OUT_OF_SERVICE;
			case STARTING -> Status.UNKNOWN;
		};
	}

	// The threshold, but never more than a third of the lease's TTL: with leases shorter than the
	// threshold every lease would always be "near expiry", and one retried request would take the
	// instance out of service.
	private boolean nearExpiry(LeaseStatus lease) {
		Duration timeToExpiry = lease.timeToExpiry();
		if (timeToExpiry == null || lease.lease() == null) {
			return true;
		}
		Duration threshold = this.expiryThreshold;
		Duration third = lease.lease().ttl().dividedBy(3);
		if (third.compareTo(threshold) < 0) {
			threshold = third;
		}
		return timeToExpiry.compareTo(threshold) < 0;
	}

	private static void detail(Health.Builder builder, String key, @Nullable Object value) {
		if (value != null) {
			builder.withDetail(key, (value instanceof Instant instant) ? instant.toString() : value);
		}
	}

}
