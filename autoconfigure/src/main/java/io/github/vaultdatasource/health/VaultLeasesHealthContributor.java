package io.github.vaultdatasource.health;

import java.time.Duration;
import java.util.stream.Stream;

import io.github.vaultdatasource.lease.ManagedLeases;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthContributors;

/**
 * The {@code vaultLeases} health: one {@link VaultLeaseHealthIndicator} per managed data source,
 * keyed by its bean name and read from {@link ManagedLeases} when health is asked for, so a pool
 * created after startup appears too.
 */
public class VaultLeasesHealthContributor implements CompositeHealthContributor {

	private final ManagedLeases leases;

	private final Duration expiryThreshold;

	/**
	 * Create a contributor.
	 * @param leases the managed leases
	 * @param expiryThreshold how close to expiry a failing lease turns {@code OUT_OF_SERVICE}
	 */
	public VaultLeasesHealthContributor(ManagedLeases leases, Duration expiryThreshold) {
		this.leases = leases;
		this.expiryThreshold = expiryThreshold;
	}

	@Override
	public @Nullable HealthContributor getContributor(String name) {
		return this.leases.get(name).map((lease) -> indicator(name)).orElse(null);
	}

	@Override
	public Stream<HealthContributors.Entry> stream() {
		return this.leases.all()
			.stream()
			.map((lease) -> new HealthContributors.Entry(lease.name(), indicator(lease.name())));
	}

	private HealthContributor indicator(String name) {
		// Looked up on every read: a data source that went away reports as gone, not as stale.
		return new VaultLeaseHealthIndicator(() -> this.leases.get(name)
			.map((lease) -> lease.status())
			.orElseThrow(() -> new IllegalStateException("Data source '" + name + "' is no longer managed")),
				this.expiryThreshold);
	}

}
