package io.github.vaultdatasource.lease;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The leases of all managed data sources, by data source bean name: what health, the endpoint and
 * metrics look at.
 */
public final class ManagedLeases {

	private final Map<String, LeaseLifecycle> leases = new ConcurrentHashMap<>();

	/**
	 * Add a lease.
	 * @param lifecycle the lease's lifecycle
	 */
	public void register(LeaseLifecycle lifecycle) {
		this.leases.put(lifecycle.name(), lifecycle);
	}

	/**
	 * Return the lease of a data source.
	 * @param dataSourceName the data source bean name
	 * @return its lifecycle, if managed
	 */
	public Optional<LeaseLifecycle> get(String dataSourceName) {
		return Optional.ofNullable(this.leases.get(dataSourceName));
	}

	/**
	 * Return all leases, ordered by data source name.
	 * @return the lifecycles
	 */
	public List<LeaseLifecycle> all() {
		List<LeaseLifecycle> all = new ArrayList<>(this.leases.values());
		all.sort((a, b) -> a.name().compareTo(b.name()));
		return Collections.unmodifiableList(all);
	}

	/**
	 * Remove a lease once its data source is gone.
	 * @param dataSourceName the data source bean name
	 */
	public void remove(String dataSourceName) {
		this.leases.remove(dataSourceName);
	}

}
