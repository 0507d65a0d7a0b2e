package io.github.vaultdatasource.event;

import java.time.Instant;

import org.springframework.context.ApplicationEvent;

/**
 * Base class of the events about one managed data source's credentials. Events carry the
 * database username and a shortened lease id, never a password, token or full lease id.
 */
public abstract class VaultDataSourceEvent extends ApplicationEvent {

	private final String dataSourceName;

	private final String username;

	private final String shortLeaseId;

	protected VaultDataSourceEvent(Object source, String dataSourceName, String username, String shortLeaseId,
			Instant timestamp) {
		super(source, java.time.Clock.fixed(timestamp, java.time.ZoneOffset.UTC));
		this.dataSourceName = dataSourceName;
		this.username = username;
		this.shortLeaseId = shortLeaseId;
	}

	/**
	 * Return the name of the data source bean whose credentials this is about.
	 * @return the data source name
	 */
	public String getDataSourceName() {
		return this.dataSourceName;
	}

	/**
	 * Return the database username the event is about.
	 * @return the username
	 */
	public String getUsername() {
		return this.username;
	}

	/**
	 * Return the shortened lease id the event is about.
	 * @return the shortened lease id
	 */
	public String getShortLeaseId() {
		return this.shortLeaseId;
	}

}
