package io.github.vaultdatasource.lease;

/**
 * What the lease scheduler will do next.
 */
public enum NextAction {

	/**
	 * Renew the lease.
	 */
	RENEW,

	/**
	 * Issue new credentials and switch the pool to them.
	 */
	ROTATE,

	/**
	 * Nothing: not started, or stopped.
	 */
	NONE

}
