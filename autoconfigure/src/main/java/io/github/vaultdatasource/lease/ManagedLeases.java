package io.github.vaultdatasource.lease;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The leases of all managed data sources, by data source bean name: what health, the endpoint and
 * metrics look at.
 */
public final class ManagedLeases {

	private final Map<String, LeaseLifecycle> leases = new ConcurrentHashMap<>();

	private final List<Consumer<LeaseLifecycle>> listeners = new CopyOnWriteArrayList<>();

	/**
	 * Add a lease.
	 * @param lifecycle the lease's lifecycle
	 */
	public void register(LeaseLifecycle lifecycle) {
		this.leases.put(lifecycle.name(), lifecycle);
		this.listeners.forEach((listener) -> listener.accept(lifecycle));
	}

	/**
	 * Call {@code listener} for every lease registered now and later.
	 * @param listener the listener
	 */
	public void forEachRegistered(Consumer<LeaseLifecycle> listener) {
		this.listeners.add(listener);
		all().forEach(listener);
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
