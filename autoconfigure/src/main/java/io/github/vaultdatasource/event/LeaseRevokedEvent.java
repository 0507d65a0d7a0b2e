package io.github.vaultdatasource.event;

import java.time.Instant;

import io.github.vaultdatasource.RevocationTrigger;

/**
 * Published when the application revoked one of its leases, after a rotation, for credentials the
 * database did not accept, or on shutdown.
 */
public class LeaseRevokedEvent extends VaultDataSourceEvent {

	private final RevocationTrigger trigger;

	public LeaseRevokedEvent(Object source, String dataSourceName, String username, String shortLeaseId,
			Instant timestamp, RevocationTrigger trigger) {
		super(source, dataSourceName, username, shortLeaseId, timestamp);
		this.trigger = trigger;
	}

	/**
	 * Return why the lease was revoked.
	 * @return the trigger
	 */
	public RevocationTrigger getTrigger() {
		return this.trigger;
	}

	/**
	 * Return whether the lease was revoked because the application shut down.
	 * @return whether this was a revocation on shutdown
	 */
	public boolean isShutdown() {
		return this.trigger == RevocationTrigger.SHUTDOWN;
	}

}
