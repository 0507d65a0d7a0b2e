package io.github.vaultdatasource.actuate.endpoint;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.lease.LeaseStatus;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.RotationReason;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * {@code vaultleases}: the Vault lease behind each managed data source, and (only with
 * {@code management.endpoint.vaultleases.access=unrestricted}) a write operation that rotates a
 * data source's credentials at once, for example when they may have leaked.
 */
@Endpoint(id = "vaultleases", defaultAccess = Access.READ_ONLY)
public class VaultLeasesEndpoint {

	private final ManagedLeases leases;

	/**
	 * Create an endpoint.
	 * @param leases the managed leases
	 */
	public VaultLeasesEndpoint(ManagedLeases leases) {
		this.leases = leases;
	}

	/**
	 * List every managed lease.
	 * @return the leases by data source name
	 */
	@ReadOperation
	public VaultLeasesDescriptor leases() {
		Map<String, LeaseDescriptor> descriptors = new LinkedHashMap<>();
		for (LeaseLifecycle lease : this.leases.all()) {
			descriptors.put(lease.name(), LeaseDescriptor.of(lease.status()));
		}
		return new VaultLeasesDescriptor(descriptors);
	}

	/**
	 * Describe the lease of one data source.
	 * @param dataSource the data source bean name
	 * @return the lease, or {@code null} (404) when the data source is not managed
	 */
	@ReadOperation
	public @Nullable LeaseDescriptor lease(@Selector String dataSource) {
		return this.leases.get(dataSource).map((lease) -> LeaseDescriptor.of(lease.status())).orElse(null);
	}

	/**
	 * Rotate a data source's credentials now: new credentials are issued, the pool switches to
	 * them, and the old lease is revoked once its connections are drained.
	 * @param dataSource the data source bean name
	 * @return what was requested
	 * @throws InvalidEndpointRequestException (400) when the data source is not managed
	 */
	@WriteOperation
	public RotationRequestDescriptor rotate(@Selector String dataSource) {
		LeaseLifecycle lease = this.leases.get(dataSource)
			.orElseThrow(() -> new InvalidEndpointRequestException(
					"No data source named '" + dataSource + "' has Vault-managed credentials; managed: "
							+ this.leases.all().stream().map(LeaseLifecycle::name).toList(),
					"Unknown data source"));
		LeaseStatus before = lease.status();
		lease.rotateNow(RotationReason.FORCED);
		return new RotationRequestDescriptor(dataSource, before.username(),
				(before.lease() != null) ? before.lease().shortLeaseId() : null, before.counts().rotations(),
				"Rotation requested; watch 'rotations' and 'username' change");
	}

	/**
	 * The managed leases.
	 *
	 * @param leases the leases by data source name
	 */
	public record VaultLeasesDescriptor(Map<String, LeaseDescriptor> leases) {

	}

	/**
	 * One managed lease: never a password, token or full lease id.
	 *
	 * @param role the Vault role
	 * @param state the lease's state
	 * @param username the current database user
	 * @param leaseId the shortened lease id
	 * @param issuedAt when the credentials were issued
	 * @param expiresAt when the lease expires unless renewed
	 * @param endsAt when the lease ends for good ({@code max_ttl}), when known
	 * @param timeToExpiry the time left, ISO-8601
	 * @param timeToExpirySeconds the time left in seconds
	 * @param ttl the TTL Vault granted on issue, ISO-8601
	 * @param renewable whether the lease is renewable
	 * @param lastRenewal the latest successful renewal
	 * @param lastRotation the latest switch to new credentials
	 * @param consecutiveFailures failures since the latest success
	 * @param lastFailure the latest failure
	 * @param nextAction what the lifecycle will do next
	 * @param nextActionAt when
	 * @param issued credentials Vault issued (including ones the database did not accept)
	 * @param renewals successful renewals
	 * @param rotations successful rotations
	 * @param failures failed operations
	 * @param revocations revoked leases
	 * @param unrevoked leases that could not be revoked, or were left to expire, still valid
	 */
	public record LeaseDescriptor(String role, String state, @Nullable String username, @Nullable String leaseId,
			@Nullable Instant issuedAt, @Nullable Instant expiresAt, @Nullable Instant endsAt,
			@Nullable String timeToExpiry, @Nullable Double timeToExpirySeconds, @Nullable String ttl,
			boolean renewable, @Nullable Instant lastRenewal, @Nullable Instant lastRotation, int consecutiveFailures,
			@Nullable String lastFailure, String nextAction, @Nullable Instant nextActionAt, long issued,
			long renewals, long rotations, long failures, long revocations, int unrevoked) {

		static LeaseDescriptor of(LeaseStatus status) {
			LeaseStatus.Current lease = status.lease();
			LeaseStatus.Counts counts = status.counts();
			Duration left = (lease != null) ? lease.timeToExpiry() : null;
			return new LeaseDescriptor(status.role(), status.state().name(), (lease != null) ? lease.username() : null,
					(lease != null) ? lease.shortLeaseId() : null, (lease != null) ? lease.issuedAt() : null,
					(lease != null) ? lease.expiresAt() : null, (lease != null) ? lease.endsAt() : null,
					(left != null) ? left.toString() : null, (left != null) ? left.toMillis() / 1000.0 : null,
					(lease != null) ? lease.ttl().toString() : null, lease != null && lease.renewable(),
					status.history().lastRenewal(), status.history().lastRotation(), status.failures().consecutive(),
					status.failures().last(), status.next().action().name(), status.next().at(), counts.issued(),
					counts.renewals(), counts.rotations(), counts.failures(), counts.revocations(), counts.unrevoked());
		}

	}

	/**
	 * A rotation that was asked for.
	 *
	 * @param dataSource the data source bean name
	 * @param previousUsername the user being replaced
	 * @param previousLeaseId the shortened id of the lease being replaced
	 * @param rotationsBefore the rotation count before the request
	 * @param message what happens next
	 */
	public record RotationRequestDescriptor(String dataSource, @Nullable String previousUsername,
			@Nullable String previousLeaseId, long rotationsBefore, String message) {

	}

}
