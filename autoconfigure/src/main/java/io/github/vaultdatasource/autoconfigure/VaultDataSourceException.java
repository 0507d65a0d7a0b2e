package io.github.vaultdatasource.autoconfigure;

import org.jspecify.annotations.Nullable;

/**
 * Startup failure of vault-datasource, with a description that names the property or Vault path
 * at fault and an action; {@link VaultDataSourceFailureAnalyzer} shows both. Never carries a
 * secret.
 */
public class VaultDataSourceException extends RuntimeException {

	private final String description;

	private final String action;

	public VaultDataSourceException(String description, String action, @Nullable Throwable cause) {
		super(description, cause);
		this.description = description;
		this.action = action;
	}

	/**
	 * Return what is wrong.
	 * @return the description
	 */
	public String getDescription() {
		return this.description;
	}

	/**
	 * Return what to do about it.
	 * @return the action
	 */
	public String getAction() {
		return this.action;
	}

}
