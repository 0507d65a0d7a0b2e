package io.github.vaultdatasource.vault;

import java.time.Duration;

import java.util.List;
import java.util.Optional;

import io.github.vaultdatasource.CredentialLease;

/**
 * Issues, renews and revokes credentials of one Vault database secrets role.
 */
public interface DatabaseSecretsClient {

	/**
	 * Return the Vault path credentials are read from, such as {@code database/creds/app}.
	 * @return the credentials path
	 */
	String credentialsPath();

	/**
	 * Whether this is a static role: one database user whose password Vault rotates on a schedule,
	 * read from {@code <mount>/static-creds/<role>}; it has no lease to renew or revoke.
	 * @return whether the role is static
	 */
	default boolean isStatic() {
		return false;
	}

	/**
	 * Return a client for another role on the same Vault, with the same login.
	 * @param mount the mount path of the database secrets engine
	 * @param role the role
	 * @param staticRole whether it is a static role
	 * @return the client
	 */
	default DatabaseSecretsClient forRole(String mount, String role, boolean staticRole) {
		throw new UnsupportedOperationException(getClass().getName() + " serves one role only");
	}

	/**
	 * Issue new credentials from the role (for a static role: read its current password, the lease
	 * ending when Vault rotates it next). The lease's times count from when the request was sent,
	 * never later than Vault counts them.
	 * @return the credentials and their lease
	 * @throws VaultRequestException when Vault refuses or cannot be reached
	 */
	CredentialLease issue();

	/**
	 * Return the role's {@code max_ttl}, if the token may read the role's configuration: knowing it
	 * from the start lets rotations be planned before a renewal comes back capped.
	 * @return the max TTL, empty when unknown, not set on the role, or not readable
	 */
	default Optional<Duration> roleMaxTtl() {
		return Optional.empty();
	}

	/**
	 * Return what the token may not do of what the library needs, from Vault's
	 * {@code sys/capabilities-self}: read the credentials path, update {@code sys/leases/renew} and
	 * {@code sys/leases/revoke}.
	 * @return descriptions such as {@code "update on sys/leases/revoke"}, empty when all is allowed
	 * or Vault could not tell
	 */
	default List<String> missingPermissions() {
		return List.of();
	}

	/**
	 * Renew a lease.
	 * @param lease the lease to renew
	 * @param increment the duration asked for
	 * @return what Vault granted
	 * @throws VaultRequestException when Vault refuses or cannot be reached
	 */
	LeaseRenewal renew(CredentialLease lease, Duration increment);

	/**
	 * Revoke a lease and wait until Vault has run the role's revocation statements.
	 * @param lease the lease to revoke
	 * @throws VaultRequestException when Vault refuses or cannot be reached
	 */
	void revoke(CredentialLease lease);

	/**
	 * What Vault answered to a renewal.
	 *
	 * @param granted the duration granted from now
	 * @param renewable whether the lease can be renewed again
	 * @param capped whether Vault granted less than asked because the lease reaches its
	 * {@code max_ttl}
	 */
	record LeaseRenewal(Duration granted, boolean renewable, boolean capped) {

	}

}
