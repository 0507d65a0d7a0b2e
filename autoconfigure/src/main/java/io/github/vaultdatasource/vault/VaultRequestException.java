package io.github.vaultdatasource.vault;

import org.jspecify.annotations.Nullable;

/**
 * A Vault request that failed, classified so that callers can decide to retry, rotate or give up.
 * Its message names the Vault path and never carries a token, password or full lease id.
 */
public class VaultRequestException extends RuntimeException {

	private final Failure failure;

	private final String path;

	private final int status;

	public VaultRequestException(Failure failure, String path, int status, String message,
			@Nullable Throwable cause) {
		super(message, cause);
		this.failure = failure;
		this.path = path;
		this.status = status;
	}

	/**
	 * Return the kind of failure.
	 * @return the failure
	 */
	public Failure getFailure() {
		return this.failure;
	}

	/**
	 * Return the Vault path that was requested, such as {@code database/creds/app}.
	 * @return the path
	 */
	public String getPath() {
		return this.path;
	}

	/**
	 * Return the HTTP status Vault answered with, or 0 when it could not be reached.
	 * @return the status
	 */
	public int getStatus() {
		return this.status;
	}

	/**
	 * Kinds of failure, each with its own remedy.
	 */
	public enum Failure {

		/**
		 * Vault could not be reached, timed out, is sealed or without a leader, or answered 429,
		 * 502, 503 or 504: retry later.
		 */
		UNAVAILABLE,

		/**
		 * Vault answered with another server error (500), for example because the role's SQL
		 * failed in the database; its message is kept. Retried like {@link #UNAVAILABLE}.
		 */
		SERVER_ERROR,

		/**
		 * The token is invalid or lacks a policy for the path (403).
		 */
		PERMISSION_DENIED,

		/**
		 * Logging in to Vault failed (AppRole, Kubernetes): wrong credentials or role.
		 */
		LOGIN_FAILED,

		/**
		 * The path does not exist: unknown role or mount (404).
		 */
		NOT_FOUND,

		/**
		 * The lease is unknown, expired or revoked (400 on renewal).
		 */
		LEASE_GONE,

		/**
		 * The lease exists but cannot be renewed further: it is past its {@code max_ttl} (400 on
		 * renewal, for example after {@code max_ttl} was lowered on the role).
		 */
		MAX_TTL_REACHED,

		/**
		 * Any other refusal.
		 */
		REJECTED;

		/**
		 * Whether a later retry of the same request may succeed.
		 * @return {@code true} for {@link #UNAVAILABLE} and {@link #SERVER_ERROR}
		 */
		public boolean isTransient() {
			return this == UNAVAILABLE || this == SERVER_ERROR;
		}

	}

}
