package io.github.vaultdatasource.event;

import java.time.Duration;
import java.time.Instant;

/**
 * Published when Vault issued credentials for a data source, at startup and on each rotation.
 */
public class CredentialsIssuedEvent extends VaultDataSourceEvent {

	private final Duration ttl;

	private final Duration issueLatency;

	public CredentialsIssuedEvent(Object source, String dataSourceName, String username, String shortLeaseId,
			Instant timestamp, Duration ttl, Duration issueLatency) {
		super(source, dataSourceName, username, shortLeaseId, timestamp);
		this.ttl = ttl;
		this.issueLatency = issueLatency;
	}

	/**
	 * Return the lease duration Vault granted.
	 * @return the lease duration
	 */
	public Duration getTtl() {
		return this.ttl;
	}

	/**
	 * Return how long Vault took to issue the credentials.
	 * @return the issue latency
	 */
	public Duration getIssueLatency() {
		return this.issueLatency;
	}

}
