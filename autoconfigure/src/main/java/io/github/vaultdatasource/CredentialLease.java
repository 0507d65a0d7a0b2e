package io.github.vaultdatasource;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Database credentials together with the Vault lease that keeps them valid.
 *
 * @param credentials the username and password
 * @param leaseId the full Vault lease id, a secret in its own right: never log it, use
 * {@link #shortLeaseId()}
 * @param renewable whether Vault allows the lease to be renewed
 * @param issuedAt when Vault issued the credentials
 * @param ttl the lease duration Vault granted on issue, or on the latest renewal
 * @param expiresAt when the lease ends unless renewed
 */
public record CredentialLease(DatabaseCredentials credentials, String leaseId, boolean renewable, Instant issuedAt,
		Duration ttl, Instant expiresAt) {

	public CredentialLease {
		Objects.requireNonNull(credentials, "credentials must not be null");
		Objects.requireNonNull(leaseId, "leaseId must not be null");
		Objects.requireNonNull(issuedAt, "issuedAt must not be null");
		Objects.requireNonNull(ttl, "ttl must not be null");
		Objects.requireNonNull(expiresAt, "expiresAt must not be null");
	}

	/**
	 * Create a lease that was just issued.
	 * @param credentials the issued credentials
	 * @param leaseId the Vault lease id
	 * @param renewable whether the lease is renewable
	 * @param issuedAt when it was issued
	 * @param ttl its duration
	 * @return the lease
	 */
	public static CredentialLease issued(DatabaseCredentials credentials, String leaseId, boolean renewable,
			Instant issuedAt, Duration ttl) {
		return new CredentialLease(credentials, leaseId, renewable, issuedAt, ttl, issuedAt.plus(ttl));
	}

	/**
	 * Return a copy of this lease after a renewal.
	 * @param renewedAt when the renewal answered
	 * @param grantedTtl the duration Vault granted
	 * @param stillRenewable whether Vault says the lease is still renewable
	 * @return the renewed lease
	 */
	public CredentialLease renewed(Instant renewedAt, Duration grantedTtl, boolean stillRenewable) {
		return new CredentialLease(this.credentials, this.leaseId, stillRenewable, this.issuedAt, grantedTtl,
				renewedAt.plus(grantedTtl));
	}

	/**
	 * Return the database username, the one part of the credentials that is safe to show.
	 * @return the username
	 */
	public String username() {
		return this.credentials.username();
	}

	/**
	 * Return the time left before the lease expires.
	 * @param now the current instant
	 * @return the remaining time, negative once expired
	 */
	public Duration remaining(Instant now) {
		return Duration.between(now, this.expiresAt);
	}

	/**
	 * Return a shortened lease id that identifies the lease in logs without revealing it.
	 * @return the shortened lease id
	 */
	public String shortLeaseId() {
		return shorten(this.leaseId);
	}

	/**
	 * Shorten a Vault lease id to its path and the last characters of its random part, for example
	 * {@code database/creds/app/…x2k9}.
	 * @param leaseId the full lease id
	 * @return the shortened form
	 */
	public static String shorten(String leaseId) {
		int slash = leaseId.lastIndexOf('/');
		String path = (slash >= 0) ? leaseId.substring(0, slash + 1) : "";
		String random = (slash >= 0) ? leaseId.substring(slash + 1) : leaseId;
		String tail = (random.length() > 4) ? random.substring(random.length() - 4) : "";
		return path + "…" + tail;
	}

	@Override
	public String toString() {
		return "CredentialLease[username=" + username() + ", leaseId=" + shortLeaseId() + ", renewable="
				+ this.renewable + ", ttl=" + this.ttl + ", expiresAt=" + this.expiresAt + "]";
	}

}
