package io.github.vaultdatasource;

/**
 * Why credentials were rotated: part of the public vocabulary that events, status and metrics share.
 */
public enum RotationReason {

	/**
	 * A renewal came back capped: the lease reaches its {@code max_ttl}.
	 */
	MAX_TTL,

	/**
	 * The lease cannot be renewed, so new credentials are issued before it expires.
	 */
	NOT_RENEWABLE,

	/**
	 * Renewals kept failing until the drain budget was reached.
	 */
	RENEWAL_FAILING,

	/**
	 * Vault no longer knows the lease (revoked or expired).
	 */
	LEASE_GONE,

	/**
	 * The database rejected the current credentials (SQLState 28P01 or 42501).
	 */
	CREDENTIALS_REJECTED,

	/**
	 * The Vault token was replaced by a new login; leases of the old token die with it.
	 */
	TOKEN_RELOGIN,

	/**
	 * An operator asked for it.
	 */
	FORCED,

	/**
	 * Vault rotated the password of a static role: the pool switches to the new one.
	 */
	PASSWORD_ROTATED

}
