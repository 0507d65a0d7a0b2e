package io.github.vaultdatasource;

/**
 * What failed in the lease lifecycle.
 */
public enum FailureKind {

	/**
	 * Renewing the lease failed.
	 */
	RENEWAL,

	/**
	 * Issuing new credentials failed.
	 */
	ISSUE,

	/**
	 * New credentials were issued but the database did not accept them.
	 */
	VALIDATION,

	/**
	 * Revoking a lease failed.
	 */
	REVOCATION

}
