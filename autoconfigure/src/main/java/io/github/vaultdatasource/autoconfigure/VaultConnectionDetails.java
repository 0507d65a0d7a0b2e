package io.github.vaultdatasource.autoconfigure;

import java.net.URI;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.autoconfigure.service.connection.ConnectionDetails;

/**
 * Details for connecting to the Vault or OpenBao server that issues the database credentials:
 * its address, how to log in, and the database secrets engine mount and role. Built from
 * {@code vault.*} properties unless another bean, such as one from a Testcontainers
 * {@code @ServiceConnection}, provides them.
 */
public interface VaultConnectionDetails extends ConnectionDetails {

	/**
	 * Return the address of the Vault or OpenBao server.
	 * @return the address, such as {@code https://vault.example.com:8200}
	 */
	URI getUri();

	/**
	 * Return the namespace sent as {@code X-Vault-Namespace}.
	 * @return the namespace, or {@code null} for none
	 */
	default @Nullable String getNamespace() {
		return null;
	}

	/**
	 * Return how to log in to Vault.
	 * @return the login
	 */
	Login getLogin();

	/**
	 * Return the mount path of the database secrets engine.
	 * @return the mount path
	 */
	default String getDatabaseMount() {
		return "database";
	}

	/**
	 * Return the role of the database secrets engine to issue credentials from.
	 * @return the role, or {@code null} when not configured (startup then fails naming it)
	 */
	@Nullable String getDatabaseRole();

	/**
	 * How to log in to Vault. The {@code toString()} of each kind never shows a token or secret id.
	 */
	sealed interface Login permits Login.Token, Login.AppRole, Login.Kubernetes {

		/**
		 * Log in with a static token.
		 * @param token the token
		 * @return the login
		 */
		static Login token(@Nullable String token) {
			return new Token(token);
		}

		/**
		 * Log in with AppRole.
		 * @param path the mount path of the AppRole auth method, such as {@code approle}
		 * @param roleId the role id
		 * @param secretId the secret id
		 * @return the login
		 */
		static Login appRole(String path, @Nullable String roleId, @Nullable String secretId) {
			return new AppRole(path, roleId, secretId);
		}

		/**
		 * Log in with the Kubernetes auth method and a service account token file.
		 * @param path the mount path of the Kubernetes auth method, such as {@code kubernetes}
		 * @param role the Vault role to log in as
		 * @param serviceAccountTokenFile the file holding the service account token
		 * @return the login
		 */
		static Login kubernetes(String path, @Nullable String role, String serviceAccountTokenFile) {
			return new Kubernetes(path, role, serviceAccountTokenFile);
		}

		/**
		 * Return the matching {@code vault.authentication} value.
		 * @return the authentication method
		 */
		VaultDataSourceProperties.AuthenticationMethod method();

		/**
		 * A static token.
		 *
		 * @param token the token
		 */
		record Token(@Nullable String token) implements Login {

			@Override
			public VaultDataSourceProperties.AuthenticationMethod method() {
				return VaultDataSourceProperties.AuthenticationMethod.TOKEN;
			}

			@Override
			public String toString() {
				return "Token[token=" + ((this.token != null) ? "******" : "null") + "]";
			}

		}

		/**
		 * AppRole login.
		 *
		 * @param path the mount path of the AppRole auth method
		 * @param roleId the role id
		 * @param secretId the secret id
		 */
		record AppRole(String path, @Nullable String roleId, @Nullable String secretId) implements Login {

			@Override
			public VaultDataSourceProperties.AuthenticationMethod method() {
				return VaultDataSourceProperties.AuthenticationMethod.APPROLE;
			}

			@Override
			public String toString() {
				return "AppRole[path=" + this.path + ", roleId=" + this.roleId + ", secretId="
						+ ((this.secretId != null) ? "******" : "null") + "]";
			}

		}

		/**
		 * Kubernetes login.
		 *
		 * @param path the mount path of the Kubernetes auth method
		 * @param role the Vault role to log in as
		 * @param serviceAccountTokenFile the file holding the service account token
		 */
		record Kubernetes(String path, @Nullable String role, String serviceAccountTokenFile) implements Login {

			@Override
			public VaultDataSourceProperties.AuthenticationMethod method() {
				return VaultDataSourceProperties.AuthenticationMethod.KUBERNETES;
			}

		}

	}

}
