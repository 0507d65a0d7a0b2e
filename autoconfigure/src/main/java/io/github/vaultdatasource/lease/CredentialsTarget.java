package io.github.vaultdatasource.lease;

import java.time.Instant;

import io.github.vaultdatasource.DatabaseCredentials;

/**
 * What the lease lifecycle hands credentials to: the connection pool.
 */
public interface CredentialsTarget {

	/**
	 * Set the credentials the pool starts with.
	 * @param credentials the first credentials
	 */
	void install(DatabaseCredentials credentials);

	/**
	 * Check that the database accepts new credentials, with one direct connection.
	 * @param candidate the credentials to check
	 * @throws Exception when the database rejects them or cannot be reached
	 */
	void validate(DatabaseCredentials candidate) throws Exception;

	/**
	 * Switch the pool to new credentials and drain the connections of the previous ones.
	 * @param next the new credentials
	 * @param previous the credentials being replaced
	 * @param drainDeadline when to stop waiting for old connections
	 * @return what the switch and drain did
	 */
	SwitchReport switchTo(DatabaseCredentials next, DatabaseCredentials previous, Instant drainDeadline);

	/**
	 * What a switch did, and how long each step took.
	 *
	 * @param switchMillis time to switch, including waiting for new connections of a surge
	 * @param drainMillis time until no connection of the old credentials remained
	 * @param sweeps how many times old connections were evicted
	 * @param oldConnectionsLeft connections of the old credentials still open at the deadline
	 */
	record SwitchReport(long switchMillis, long drainMillis, int sweeps, int oldConnectionsLeft) {

	}

}
