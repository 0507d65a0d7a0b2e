package io.github.vaultdatasource.vault;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

import org.jspecify.annotations.Nullable;

import org.springframework.vault.authentication.ClientAuthentication;
import org.springframework.vault.authentication.VaultLoginException;
import org.springframework.vault.support.VaultToken;

/**
 * A token read from a file that another process keeps current, such as a Vault Agent or OpenBao
 * Agent token sink. The agent logs in, renews and replaces the token; "logging in" here reads the
 * file, and {@link #changedSinceLogin()} tells when the agent wrote a different token. Like a
 * static token, it is looked up and renewed while renewable, and never revoked: it belongs to the
 * agent.
 */
public class TokenFileAuthentication implements ClientAuthentication {

	private final Path file;

	private @Nullable FileTime readModified;

	private @Nullable String readToken;

	/**
	 * Create the authentication.
	 * @param file the token file
	 */
	public TokenFileAuthentication(Path file) {
		this.file = file;
	}

	/**
	 * Return the token file.
	 * @return the path
	 */
	public Path file() {
		return this.file;
	}

	@Override
	public synchronized VaultToken login() {
		try {
			FileTime modified = Files.getLastModifiedTime(this.file);
			String token = read();
			this.readModified = modified;
			this.readToken = token;
			return VaultToken.of(token);
		}
		catch (IOException ex) {
			throw new VaultLoginException("Cannot read the Vault token from vault.token-file=" + this.file + ": " + ex, ex);
		}
	}

	/**
	 * Return whether the file now holds another token than the one the last login read. Cheap when
	 * the file is untouched: only its modification time is read.
	 * @return whether a new login would read a different token
	 */
	public synchronized boolean changedSinceLogin() {
		if (this.readToken == null) {
			return false;
		}
		try {
			FileTime modified = Files.getLastModifiedTime(this.file);
			if (modified.equals(this.readModified)) {
				return false;
			}
			String token = read();
			this.readModified = modified;
			return !token.equals(this.readToken);
		}
		catch (IOException | VaultLoginException ex) {
			// Being rewritten, or gone for a moment: keep the token we have until the file is back.
			return false;
		}
	}

	private String read() throws IOException {
		String token = Files.readString(this.file, StandardCharsets.UTF_8).trim();
		if (token.isEmpty()) {
			throw new VaultLoginException("vault.token-file=" + this.file + " is empty");
		}
		return token;
	}

}
