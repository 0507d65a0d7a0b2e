package io.github.vaultdatasource;

/**
 * Why a lease was revoked: part of the vocabulary that events, status and metrics share.
 */
public enum RevocationTrigger {

	/**
	 * The lease was replaced by a rotation and its connections were drained.
	 */
	ROTATION,

	/**
	 * The lease was just issued, but the database did not accept its credentials, or the
	 * application was shutting down.
	 */
	REJECTED,

	/**
	 * The application shut down.
	 */
	SHUTDOWN

}
