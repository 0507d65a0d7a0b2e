package io.github.vaultdatasource.vault;

import java.net.URI;

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
 * @param node the address of the node that answered, {@code null} when none did
 */
public record VaultServerStatus(boolean reachable, boolean initialized, boolean sealed, boolean standby,
		@Nullable String version, @Nullable String error, @Nullable URI node) {

	/**
	 * Create a status without the answering node.
	 * @param reachable whether Vault answered
	 * @param initialized whether Vault is initialised
	 * @param sealed whether Vault is sealed
	 * @param standby whether the node is a standby
	 * @param version the server version, if reported
	 * @param error why Vault could not be reached, {@code null} when it answered
	 */
	public VaultServerStatus(boolean reachable, boolean initialized, boolean sealed, boolean standby,
			@Nullable String version, @Nullable String error) {
		this(reachable, initialized, sealed, standby, version, error, null);
	}

	/**
	 * Return a status for a Vault that did not answer.
	 * @param error why, free of secrets
	 * @return the status
	 */
	public static VaultServerStatus unreachable(String error) {
		return new VaultServerStatus(false, false, false, false, null, error, null);
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
