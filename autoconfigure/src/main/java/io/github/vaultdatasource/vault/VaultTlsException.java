package io.github.vaultdatasource.vault;

import java.io.IOException;

import org.jspecify.annotations.Nullable;

/**
 * The TLS connection to Vault cannot work as configured: Vault's certificate is not trusted or
 * does not match its address, {@code https} was used for a plain-HTTP port, or {@code http} for an
 * HTTPS port. Retrying does not help; the message says what is wrong and {@link #getAction()} what
 * to change.
 */
public class VaultTlsException extends IOException {

	private final String action;

	VaultTlsException(String message, String action, @Nullable Throwable cause) {
		super(message, cause);
		this.action = action;
	}

	/**
	 * Return what to change, naming the property.
	 * @return the action
	 */
	public String getAction() {
		return this.action;
	}

}
