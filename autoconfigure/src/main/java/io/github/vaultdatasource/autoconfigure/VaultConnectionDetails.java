package io.github.vaultdatasource.autoconfigure;

import java.net.URI;
import java.util.List;

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
	 * Return the addresses of every node of the Vault cluster the application may use; requests
	 * move on to the next when a node cannot serve.
	 * @return the addresses, by default only {@link #getUri()}
	 */
	default List<URI> getUris() {
		return List.of(getUri());
	}

	/**
	 * Return the name of the SSL bundle that verifies Vault's certificate and holds the client
	 * certificate for mutual TLS.
	 * @return the bundle name, or {@code null} for the JVM's default trust store
	 */
	default @Nullable String getSslBundleName() {
		return null;
	}

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
	sealed interface Login permits Login.Token, Login.TokenFile, Login.AppRole, Login.Kubernetes, Login.Jwt, Login.Cert {

		/**
		 * Log in with a static token.
		 * @param token the token
		 * @return the login
		 */
		static Login token(@Nullable String token) {
			return new Token(token);
		}

		/**
		 * Use a token from a file that an agent keeps current, read again when it changes.
		 * @param file the token file
		 * @return the login
		 */
		static Login tokenFile(String file) {
			return new TokenFile(file);
		}

		/**
		 * Log in with the JWT/OIDC auth method and a token file.
		 * @param path the mount path of the JWT auth method, such as {@code jwt}
		 * @param role the Vault role to log in as
		 * @param tokenFile the file holding the JWT, or {@code null} when not configured
		 * @return the login
		 */
		static Login jwt(String path, @Nullable String role, @Nullable String tokenFile) {
			return new Jwt(path, role, tokenFile);
		}

		/**
		 * Log in with the TLS certificate auth method, presenting the SSL bundle's client certificate.
		 * @param path the mount path of the cert auth method, such as {@code cert}
		 * @param role the certificate role, or {@code null} to let Vault pick the matching one
		 * @return the login
		 */
		static Login cert(String path, @Nullable String role) {
			return new Cert(path, role);
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
		 * A token from a file kept current by an agent.
		 *
		 * @param file the token file
		 */
		record TokenFile(String file) implements Login {

			@Override
			public VaultDataSourceProperties.AuthenticationMethod method() {
				return VaultDataSourceProperties.AuthenticationMethod.TOKEN;
			}

		}

		/**
		 * JWT/OIDC login.
		 *
		 * @param path the mount path of the JWT auth method
		 * @param role the Vault role to log in as
		 * @param tokenFile the file holding the JWT
		 */
		record Jwt(String path, @Nullable String role, @Nullable String tokenFile) implements Login {

			@Override
			public VaultDataSourceProperties.AuthenticationMethod method() {
				return VaultDataSourceProperties.AuthenticationMethod.JWT;
			}

		}

		/**
		 * TLS certificate login.
		 *
		 * @param path the mount path of the cert auth method
		 * @param role the certificate role, or {@code null}
		 */
		record Cert(String path, @Nullable String role) implements Login {

			@Override
			public VaultDataSourceProperties.AuthenticationMethod method() {
				return VaultDataSourceProperties.AuthenticationMethod.CERT;
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
