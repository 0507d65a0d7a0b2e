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
	 * Revoking a lease failed; Vault revokes it when it expires.
	 */
	REVOCATION,

	/**
	 * Something unexpected failed inside the library; the lifecycle keeps going and retries.
	 */
	INTERNAL

}
