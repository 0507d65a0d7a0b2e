package io.github.vaultdatasource.event;

import java.time.Duration;
import java.time.Instant;

/**
 * Published when a lease was renewed.
 */
public class LeaseRenewedEvent extends VaultDataSourceEvent {

	private final Duration granted;

	private final boolean capped;

	public LeaseRenewedEvent(Object source, String dataSourceName, String username, String shortLeaseId,
			Instant timestamp, Duration granted, boolean capped) {
		super(source, dataSourceName, username, shortLeaseId, timestamp);
		this.granted = granted;
		this.capped = capped;
	}

	/**
	 * Return the duration Vault granted.
	 * @return the granted duration
	 */
	public Duration getGranted() {
		return this.granted;
	}

	/**
	 * Whether Vault granted less than asked because the lease reaches its {@code max_ttl}; a
	 * rotation follows.
	 * @return whether the renewal was capped
	 */
	public boolean isCapped() {
		return this.capped;
	}

}
