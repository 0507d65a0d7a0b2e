package io.github.vaultdatasource.autoconfigure;

import java.net.URI;

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
		return this.properties.getUri();
	}

	@Override
	public @Nullable String getNamespace() {
		return this.properties.getNamespace();
	}

	@Override
	public Login getLogin() {
		return switch (this.properties.getAuthentication()) {
			case TOKEN -> Login.token(this.properties.getToken());
			case APPROLE -> Login.appRole(this.properties.getAppRole().getPath(),
					this.properties.getAppRole().getRoleId(), this.properties.getAppRole().getSecretId());
			case KUBERNETES -> Login.kubernetes(this.properties.getKubernetes().getPath(),
					this.properties.getKubernetes().getRole(),
					this.properties.getKubernetes().getServiceAccountTokenFile());
		};
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
