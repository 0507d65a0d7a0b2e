package io.github.vaultdatasource.lease;

import java.time.Duration;
import java.time.Instant;

import io.github.vaultdatasource.DatabaseCredentials;
import org.jspecify.annotations.Nullable;

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
	 * Check that the database accepts credentials, with one direct connection and a trivial query.
	 * @param candidate the credentials to check
	 * @throws Exception when the database rejects them or cannot be reached
	 */
	void validate(DatabaseCredentials candidate) throws Exception;

	/**
	 * Check that the database accepts new credentials, like {@link #validate}, and keep that
	 * connection for the pool; until {@code deadline}, also open more connections with them ahead of
	 * the switch, so the pool's next logins take them at once.
	 * @param candidate the credentials
	 * @param deadline until when to open more connections
	 * @throws Exception when the database rejects the credentials or cannot be reached
	 */
	default void prepare(DatabaseCredentials candidate, Instant deadline) throws Exception {
		validate(candidate);
	}

	/**
	 * Close whatever was opened ahead of time with credentials that will not be used after all.
	 * @param credentials the credentials
	 */
	default void discard(DatabaseCredentials credentials) {
	}

	/**
	 * Return how long a switch may take before its old connections can go (a surge's wait for new
	 * connections, the first sweeps), for planning rotations before one was measured.
	 * @return the allowance
	 */
	default Duration switchAllowance() {
		return Duration.ZERO;
	}

	/**
	 * Return whether a database user still exists, asked on a connection of the current credentials.
	 * @param username the user
	 * @return whether it exists; {@code false} when that cannot be told
	 */
	default boolean userExists(String username) {
		return false;
	}

	/**
	 * Return how long the pool keeps a connection at most, when it has such a limit.
	 * @return the maximum connection lifetime, {@code null} when unknown or unlimited
	 */
	default @Nullable Duration connectionLifetime() {
		return null;
	}

	/**
	 * Make new logins of the pool use {@code next} at once, and return the work that retires the
	 * connections of {@code previous}, which the caller drives step by step.
	 * @param next the new credentials
	 * @param previous the credentials being replaced
	 * @param previousDead whether the database no longer accepts {@code previous} (revoked,
	 * rejected or expired): its connections are then evicted at once, without growing the pool first
	 * @return the retirement of {@code previous}
	 */
	Retirement switchTo(DatabaseCredentials next, DatabaseCredentials previous, boolean previousDead);

	/**
	 * The retirement of replaced credentials: optionally grow the pool so connections of the new
	 * credentials open while the old ones serve, evict the old connections (busy ones close when
	 * returned), sweep until none is left, then restore the pool. Each call of {@link #advance} does
	 * one short step and never blocks for long, so the caller's thread stays free between steps.
	 */
	interface Retirement {

		/**
		 * Do the next step.
		 * @param deadline when to stop waiting for old connections to go
		 * @return how long to wait before the next call, or {@code null} once retired
		 */
		@Nullable Duration advance(Instant deadline);

		/**
		 * Tell the retirement that the old credentials are no longer accepted: stop waiting for the
		 * pool to grow and evict what is left now.
		 */
		void previousDead();

		/**
		 * Give up: restore the pool's size, leave the remaining old connections to the pool.
		 */
		void abandon();

		/**
		 * Return what the retirement did so far.
		 * @return the report
		 */
		RetirementReport report();

	}

	/**
	 * What a retirement did, and how long each step took.
	 *
	 * @param surge time from the switch until the surge's new connections were open (zero without a
	 * surge)
	 * @param drain time from the first eviction until no connection of the old credentials remained
	 * (or the deadline passed)
	 * @param oldConnectionsLeft connections of the old credentials still open at the end
	 * @param surgeRefused whether the database refused connections of the surge
	 */
	record RetirementReport(Duration surge, Duration drain, int oldConnectionsLeft, boolean surgeRefused) {

	}

}
