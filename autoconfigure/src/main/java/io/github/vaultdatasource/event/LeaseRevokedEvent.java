package io.github.vaultdatasource.event;

import java.time.Instant;

/**
 * Published when a lease was revoked, after a rotation or on shutdown.
 */
public class LeaseRevokedEvent extends VaultDataSourceEvent {

	private final boolean shutdown;

	public LeaseRevokedEvent(Object source, String dataSourceName, String username, String shortLeaseId,
			Instant timestamp, boolean shutdown) {
		super(source, dataSourceName, username, shortLeaseId, timestamp);
		this.shutdown = shutdown;
	}

	/**
	 * Whether the lease was revoked because the application shut down.
	 * @return {@code true} on shutdown, {@code false} after a rotation
	 */
	public boolean isShutdown() {
		return this.shutdown;
	}

}
