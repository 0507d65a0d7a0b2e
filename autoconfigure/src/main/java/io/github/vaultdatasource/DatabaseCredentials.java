package io.github.vaultdatasource;

import java.util.Objects;

/**
 * A database username and password issued by Vault; {@link #toString()} never shows the password.
 *
 * @param username the database role Vault created
 * @param password its password
 */
public record DatabaseCredentials(String username, String password) {

	public DatabaseCredentials {
		Objects.requireNonNull(username, "username must not be null");
		Objects.requireNonNull(password, "password must not be null");
	}

	@Override
	public String toString() {
		return "DatabaseCredentials[username=" + this.username + ", password=******]";
	}

}
