package io.github.vaultdatasource.testcontainers;

import java.net.URI;

import io.github.vaultdatasource.autoconfigure.VaultConnectionDetails;
import io.github.vaultdatasource.autoconfigure.VaultConnectionDetails.Login;

import org.springframework.boot.testcontainers.service.connection.ContainerConnectionDetailsFactory;
import org.springframework.boot.testcontainers.service.connection.ContainerConnectionSource;

/**
 * Creates {@link VaultConnectionDetails} for an {@link OpenBaoContainer} annotated with
 * {@code @ServiceConnection}: its address, the AppRole login when enabled (the root token
 * otherwise), and its database mount and role.
 */
class OpenBaoContainerConnectionDetailsFactory
		extends ContainerConnectionDetailsFactory<OpenBaoContainer, VaultConnectionDetails> {

	OpenBaoContainerConnectionDetailsFactory() {
		super(ANY_CONNECTION_NAME, "io.github.vaultdatasource.autoconfigure.VaultConnectionDetails");
	}

	@Override
	protected VaultConnectionDetails getContainerConnectionDetails(ContainerConnectionSource<OpenBaoContainer> source) {
		return new OpenBaoContainerConnectionDetails(source);
	}

	static Login login(OpenBaoContainer container) {
		if (container.isAppRoleEnabled()) {
			return Login.appRole("approle", container.getAppRoleId(), container.getAppRoleSecretId());
		}
		return Login.token(container.getRootToken());
	}

	/**
	 * {@link VaultConnectionDetails} read from the started container.
	 */
	static final class OpenBaoContainerConnectionDetails extends ContainerConnectionDetails<OpenBaoContainer>
			implements VaultConnectionDetails {

		OpenBaoContainerConnectionDetails(ContainerConnectionSource<OpenBaoContainer> source) {
			super(source);
		}

		@Override
		public URI getUri() {
			return URI.create(getContainer().getAddress());
		}

		@Override
		public Login getLogin() {
			return login(getContainer());
		}

		@Override
		public String getDatabaseMount() {
			return getContainer().getDatabaseMount();
		}

		@Override
		public String getDatabaseRole() {
			return getContainer().getDatabaseRole();
		}

	}

}
