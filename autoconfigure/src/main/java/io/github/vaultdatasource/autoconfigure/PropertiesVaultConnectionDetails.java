package io.github.vaultdatasource.autoconfigure;

import java.net.URI;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * {@link VaultConnectionDetails} read from {@code vault.*} properties.
 */
final class PropertiesVaultConnectionDetails implements VaultConnectionDetails {

	private final VaultDataSourceProperties properties;

	PropertiesVaultConnectionDetails(VaultDataSourceProperties properties) {
		this.properties = properties;
	}

	@Override
	public URI getUri() {
		return getUris().get(0);
	}

	@Override
	public List<URI> getUris() {
		List<URI> uris = this.properties.getUri();
		if (uris == null || uris.isEmpty()) {
			throw new VaultDataSourceException("vault.uri is set but empty, so there is no Vault or OpenBao server to ask for credentials.",
					"Consider the following: set vault.uri, for example vault.uri=https://vault.example.com:8200, or "
							+ "list the nodes of a cluster: vault.uri=https://vault-0:8200,https://vault-1:8200; or remove it "
							+ "to use http://127.0.0.1:8200.",
					null);
		}
		return uris;
	}

	@Override
	public @Nullable String getSslBundleName() {
		return this.properties.getSsl().getBundle();
	}

	@Override
	public @Nullable String getNamespace() {
		return this.properties.getNamespace();
	}

	@Override
	public Login getLogin() {
		return switch (this.properties.getAuthentication()) {
			case TOKEN -> tokenLogin();
			case APPROLE -> Login.appRole(this.properties.getAppRole().getPath(),
					this.properties.getAppRole().getRoleId(), this.properties.getAppRole().getSecretId());
			case KUBERNETES -> Login.kubernetes(this.properties.getKubernetes().getPath(),
					this.properties.getKubernetes().getRole(),
					this.properties.getKubernetes().getServiceAccountTokenFile());
			case JWT -> Login.jwt(this.properties.getJwt().getPath(), this.properties.getJwt().getRole(),
					this.properties.getJwt().getTokenFile());
			case CERT -> Login.cert(this.properties.getCert().getPath(), this.properties.getCert().getRole());
		};
	}

	private Login tokenLogin() {
		String token = this.properties.getToken();
		String tokenFile = this.properties.getTokenFile();
		if (tokenFile == null || tokenFile.isBlank()) {
			return Login.token(token);
		}
		if (token != null && !token.isBlank()) {
			throw new VaultDataSourceException(
					"Both vault.token and vault.token-file are set; vault-datasource cannot tell which token to use.",
					"Consider the following: keep vault.token-file for a token an agent keeps current, and remove "
							+ "vault.token (also the VAULT_TOKEN environment variable).",
					null);
		}
		return Login.tokenFile(tokenFile);
	}

	@Override
	public String getDatabaseMount() {
		return this.properties.getDatabase().getMount();
	}

	@Override
	public @Nullable String getDatabaseRole() {
		return this.properties.getDatabase().getRole();
	}

}
