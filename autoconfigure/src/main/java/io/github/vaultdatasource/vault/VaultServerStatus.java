package io.github.vaultdatasource.vault;

import org.jspecify.annotations.Nullable;

/**
 * What Vault's {@code sys/health} said, or that it could not be reached.
 *
 * @param reachable whether Vault answered
 * @param initialized whether Vault is initialised
 * @param sealed whether Vault is sealed
 * @param standby whether the node is a standby (it forwards requests to the active node)
 * @param version the server version, if reported
 * @param error why Vault could not be reached, {@code null} when it answered
 */
public record VaultServerStatus(boolean reachable, boolean initialized, boolean sealed, boolean standby,
		@Nullable String version, @Nullable String error) {

	/**
	 * Return a status for a Vault that did not answer.
	 * @param error why, free of secrets
	 * @return the status
	 */
	public static VaultServerStatus unreachable(String error) {
		return new VaultServerStatus(false, false, false, false, null, error);
	}

	/**
	 * Return whether this node can serve the application's requests: reachable, initialised and
	 * unsealed. A standby can, since it forwards to the active node.
	 * @return whether Vault is usable
	 */
	public boolean isServing() {
		return this.reachable && this.initialized && !this.sealed;
	}

}
