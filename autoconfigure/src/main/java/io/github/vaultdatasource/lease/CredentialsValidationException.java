package io.github.vaultdatasource.lease;

import java.sql.SQLException;

import org.jspecify.annotations.Nullable;

/**
 * Thrown when the database does not accept the first credentials Vault issued, so the
 * application does not start with a pool that cannot connect. The lease was revoked already.
 */
public class CredentialsValidationException extends RuntimeException {

	private final String dataSourceName;

	private final String username;

	private final @Nullable String sqlState;

	public CredentialsValidationException(String dataSourceName, String username, Throwable cause) {
		super("The database did not accept user '" + username + "' that Vault issued for data source '"
				+ dataSourceName + "': " + cause.getMessage(), cause);
		this.dataSourceName = dataSourceName;
		this.username = username;
		this.sqlState = (cause instanceof SQLException sql) ? sql.getSQLState() : null;
	}

	/**
	 * Return the data source bean name.
	 * @return the name
	 */
	public String getDataSourceName() {
		return this.dataSourceName;
	}

	/**
	 * Return the database user Vault issued.
	 * @return the username
	 */
	public String getUsername() {
		return this.username;
	}

	/**
	 * Return the SQLState of the database's refusal, when it gave one.
	 * @return the SQLState
	 */
	public @Nullable String getSqlState() {
		return this.sqlState;
	}

}
