package io.github.vaultdatasource.autoconfigure;

import java.io.File;
import java.time.Clock;

import io.github.vaultdatasource.autoconfigure.VaultConnectionDetails.Login;
import io.github.vaultdatasource.vault.VaultDatabaseSecretsClient;
import io.github.vaultdatasource.vault.VaultTokenManager;

import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.util.StringUtils;
import org.springframework.vault.authentication.AppRoleAuthentication;
import org.springframework.vault.authentication.AppRoleAuthenticationOptions;
import org.springframework.vault.authentication.AppRoleAuthenticationOptions.RoleId;
import org.springframework.vault.authentication.AppRoleAuthenticationOptions.SecretId;
import org.springframework.vault.authentication.ClientAuthentication;
import org.springframework.vault.authentication.KubernetesAuthentication;
import org.springframework.vault.authentication.KubernetesAuthenticationOptions;
import org.springframework.vault.authentication.KubernetesServiceAccountTokenFile;
import org.springframework.vault.authentication.TokenAuthentication;
import org.springframework.vault.client.RestClientBuilder;
import org.springframework.vault.client.VaultEndpoint;
import org.springframework.vault.client.VaultHttpHeaders;
import org.springframework.vault.core.VaultTemplate;
import org.springframework.web.client.RestClient;

/**
 * Builds the Spring Vault client parts from {@link VaultConnectionDetails} (where and how to connect)
 * and {@code vault.*} properties (timeouts), checking them first so a missing setting is reported
 * by its property name.
 */
final class VaultDataSourceConfiguration {

	private VaultDataSourceConfiguration() {
	}

	static String requireRole(VaultConnectionDetails connection) {
		String role = connection.getDatabaseRole();
		if (!StringUtils.hasText(role)) {
			throw missing("vault.database.role", "the role of the database secrets engine to issue credentials from",
					"vault.database.role=app");
		}
		return role;
	}

	static VaultTokenManager tokenManager(VaultConnectionDetails connection, VaultDataSourceProperties properties,
			Clock clock) {
		if (properties.getDatasources().isEmpty()) {
			requireRole(connection);
		}
		RestClient restClient = restClientBuilder(connection, properties).build();
		return new VaultTokenManager(authentication(connection.getLogin(), restClient), restClient, clock);
	}

	static VaultDatabaseSecretsClient secretsClient(VaultConnectionDetails connection,
			VaultDataSourceProperties properties, VaultTokenManager tokens, Clock clock) {
		VaultTemplate template = new VaultTemplate(restClientBuilder(connection, properties), tokens);
		// With only vault.datasources.* set, this client has no role of its own: each data source gets
		// one for its role from it (forRole), on the same login.
		String role = (properties.getDatasources().isEmpty() || StringUtils.hasText(connection.getDatabaseRole()))
				? requireRole(connection) : "";
		return new VaultDatabaseSecretsClient(template, connection.getDatabaseMount(), role,
				properties.getDatabase().isStaticRole(), clock);
	}

	private static RestClientBuilder restClientBuilder(VaultConnectionDetails connection,
			VaultDataSourceProperties properties) {
		// HttpURLConnection honours both timeouts on every request; a paused Vault must not hang a renewal.
		SimpleClientHttpRequestFactory requestFactory = new SimpleClientHttpRequestFactory();
		requestFactory.setConnectTimeout(properties.getConnectionTimeout());
		requestFactory.setReadTimeout(properties.getReadTimeout());
		VaultEndpoint endpoint;
		try {
			endpoint = VaultEndpoint.from(connection.getUri());
		}
		catch (IllegalArgumentException ex) {
			throw new VaultDataSourceException("vault.uri=" + connection.getUri() + " is not a valid Vault address: "
					+ ex.getMessage() + ".",
					"Consider the following: set vault.uri to the server's scheme, host and port, for example "
							+ "vault.uri=https://vault.example.com:8200.",
					ex);
		}
		RestClientBuilder builder = RestClientBuilder.builder().endpoint(endpoint).requestFactory(requestFactory);
		String namespace = connection.getNamespace();
		if (StringUtils.hasText(namespace)) {
			builder = builder.defaultHeader(VaultHttpHeaders.VAULT_NAMESPACE, namespace);
		}
		return builder;
	}

	private static ClientAuthentication authentication(Login login, RestClient restClient) {
		return switch (login.method()) {
			case TOKEN -> {
				String token = ((Login.Token) login).token();
				if (!StringUtils.hasText(token)) {
					throw missing("vault.token", "the Vault token used with vault.authentication=token",
							"vault.token=${VAULT_TOKEN}");
				}
				yield new TokenAuthentication(token);
			}
			case APPROLE -> {
				Login.AppRole appRole = (Login.AppRole) login;
				if (!StringUtils.hasText(appRole.roleId())) {
					throw missing("vault.app-role.role-id", "the AppRole role id used with vault.authentication=approle",
							"vault.app-role.role-id=${VAULT_ROLE_ID}");
				}
				if (!StringUtils.hasText(appRole.secretId())) {
					throw missing("vault.app-role.secret-id",
							"the AppRole secret id used with vault.authentication=approle",
							"vault.app-role.secret-id=${VAULT_SECRET_ID}");
				}
				AppRoleAuthenticationOptions options = AppRoleAuthenticationOptions.builder()
					.path(appRole.path())
					.roleId(RoleId.provided(appRole.roleId()))
					.secretId(SecretId.provided(appRole.secretId()))
					.build();
				yield new AppRoleAuthentication(options, restClient);
			}
			case KUBERNETES -> {
				Login.Kubernetes kubernetes = (Login.Kubernetes) login;
				if (!StringUtils.hasText(kubernetes.role())) {
					throw missing("vault.kubernetes.role", "the Vault role used with vault.authentication=kubernetes",
							"vault.kubernetes.role=my-app");
				}
				File tokenFile = new File(kubernetes.serviceAccountTokenFile());
				if (!tokenFile.canRead()) {
					throw new VaultDataSourceException(
							"vault.kubernetes.service-account-token-file=" + tokenFile
									+ " cannot be read; Kubernetes authentication needs the pod's service account token.",
							"Consider the following: run in a pod with a mounted service account token "
									+ "(automountServiceAccountToken), or point vault.kubernetes.service-account-token-file "
									+ "at the projected token's path.",
							null);
				}
				KubernetesAuthenticationOptions options = KubernetesAuthenticationOptions.builder()
					.path(kubernetes.path())
					.role(kubernetes.role())
					.jwtSupplier(new KubernetesServiceAccountTokenFile(tokenFile))
					.build();
				yield new KubernetesAuthentication(options, restClient);
			}
		};
	}

	private static VaultDataSourceException missing(String property, String meaning, String example) {
		return new VaultDataSourceException(property + " is not set: it is " + meaning + ".",
				"Consider the following: set " + property + ", for example " + example + ".", null);
	}

}
