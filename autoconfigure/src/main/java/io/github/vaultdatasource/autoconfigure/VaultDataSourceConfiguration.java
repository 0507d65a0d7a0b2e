package io.github.vaultdatasource.autoconfigure;

import java.io.File;
import java.time.Clock;

import io.github.vaultdatasource.autoconfigure.VaultDataSourceProperties.AppRole;
import io.github.vaultdatasource.autoconfigure.VaultDataSourceProperties.Kubernetes;
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
 * Builds the Spring Vault client parts from {@code vault.*} properties, checking them first so a
 * missing setting is reported by its property name.
 */
final class VaultDataSourceConfiguration {

	private VaultDataSourceConfiguration() {
	}

	static String requireRole(VaultDataSourceProperties properties) {
		String role = properties.getDatabase().getRole();
		if (!StringUtils.hasText(role)) {
			throw missing("vault.database.role", "the role of the database secrets engine to issue credentials from",
					"vault.database.role=app");
		}
		return role;
	}

	static VaultTokenManager tokenManager(VaultDataSourceProperties properties, Clock clock) {
		requireRole(properties);
		RestClient restClient = restClientBuilder(properties).build();
		return new VaultTokenManager(authentication(properties, restClient), restClient, clock);
	}

	static VaultDatabaseSecretsClient secretsClient(VaultDataSourceProperties properties, VaultTokenManager tokens,
			Clock clock) {
		VaultTemplate template = new VaultTemplate(restClientBuilder(properties), tokens);
		return new VaultDatabaseSecretsClient(template, properties.getDatabase().getMount(), requireRole(properties),
				clock);
	}

	private static RestClientBuilder restClientBuilder(VaultDataSourceProperties properties) {
		// HttpURLConnection honours both timeouts on every request; a paused Vault must not hang a renewal.
		SimpleClientHttpRequestFactory requestFactory = new SimpleClientHttpRequestFactory();
		requestFactory.setConnectTimeout(properties.getConnectionTimeout());
		requestFactory.setReadTimeout(properties.getReadTimeout());
		VaultEndpoint endpoint;
		try {
			endpoint = VaultEndpoint.from(properties.getUri());
		}
		catch (IllegalArgumentException ex) {
			throw new VaultDataSourceException("vault.uri=" + properties.getUri() + " is not a valid Vault address: "
					+ ex.getMessage() + ".",
					"Consider the following: set vault.uri to the server's scheme, host and port, for example "
							+ "vault.uri=https://vault.example.com:8200.",
					ex);
		}
		RestClientBuilder builder = RestClientBuilder.builder().endpoint(endpoint).requestFactory(requestFactory);
		if (StringUtils.hasText(properties.getNamespace())) {
			builder = builder.defaultHeader(VaultHttpHeaders.VAULT_NAMESPACE, properties.getNamespace());
		}
		return builder;
	}

	private static ClientAuthentication authentication(VaultDataSourceProperties properties, RestClient restClient) {
		return switch (properties.getAuthentication()) {
			case TOKEN -> {
				String token = properties.getToken();
				if (!StringUtils.hasText(token)) {
					throw missing("vault.token", "the Vault token used with vault.authentication=token",
							"vault.token=${VAULT_TOKEN}");
				}
				yield new TokenAuthentication(token);
			}
			case APPROLE -> {
				AppRole appRole = properties.getAppRole();
				if (!StringUtils.hasText(appRole.getRoleId())) {
					throw missing("vault.app-role.role-id", "the AppRole role id used with vault.authentication=approle",
							"vault.app-role.role-id=${VAULT_ROLE_ID}");
				}
				if (!StringUtils.hasText(appRole.getSecretId())) {
					throw missing("vault.app-role.secret-id",
							"the AppRole secret id used with vault.authentication=approle",
							"vault.app-role.secret-id=${VAULT_SECRET_ID}");
				}
				AppRoleAuthenticationOptions options = AppRoleAuthenticationOptions.builder()
					.path(appRole.getPath())
					.roleId(RoleId.provided(appRole.getRoleId()))
					.secretId(SecretId.provided(appRole.getSecretId()))
					.build();
				yield new AppRoleAuthentication(options, restClient);
			}
			case KUBERNETES -> {
				Kubernetes kubernetes = properties.getKubernetes();
				if (!StringUtils.hasText(kubernetes.getRole())) {
					throw missing("vault.kubernetes.role", "the Vault role used with vault.authentication=kubernetes",
							"vault.kubernetes.role=my-app");
				}
				File tokenFile = new File(kubernetes.getServiceAccountTokenFile());
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
					.path(kubernetes.getPath())
					.role(kubernetes.getRole())
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
