package io.github.vaultdatasource.autoconfigure;

import java.io.File;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

import javax.net.ssl.SSLSocketFactory;

import io.github.vaultdatasource.autoconfigure.VaultConnectionDetails.Login;
import io.github.vaultdatasource.vault.FailoverClientHttpRequestFactory;
import io.github.vaultdatasource.vault.TokenFileAuthentication;
import io.github.vaultdatasource.vault.VaultDatabaseSecretsClient;
import io.github.vaultdatasource.vault.VaultHttp;
import io.github.vaultdatasource.vault.VaultNodes;
import io.github.vaultdatasource.vault.VaultRestClients;
import io.github.vaultdatasource.vault.VaultTokenManager;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.ssl.NoSuchSslBundleException;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.core.io.FileSystemResource;
import org.springframework.util.StringUtils;
import org.springframework.vault.authentication.AppRoleAuthentication;
import org.springframework.vault.authentication.AppRoleAuthenticationOptions;
import org.springframework.vault.authentication.AppRoleAuthenticationOptions.RoleId;
import org.springframework.vault.authentication.AppRoleAuthenticationOptions.SecretId;
import org.springframework.vault.authentication.ClientAuthentication;
import org.springframework.vault.authentication.ClientCertificateAuthentication;
import org.springframework.vault.authentication.ClientCertificateAuthenticationOptions;
import org.springframework.vault.authentication.JwtAuthentication;
import org.springframework.vault.authentication.JwtAuthenticationOptions;
import org.springframework.vault.authentication.KubernetesAuthentication;
import org.springframework.vault.authentication.KubernetesAuthenticationOptions;
import org.springframework.vault.authentication.KubernetesServiceAccountTokenFile;
import org.springframework.vault.authentication.ResourceCredentialSupplier;
import org.springframework.vault.authentication.TokenAuthentication;
import org.springframework.vault.client.VaultEndpoint;
import org.springframework.web.client.RestClient;

/**
 * Builds the Spring Vault client parts from {@link VaultConnectionDetails} (where and how to connect)
 * and {@code vault.*} properties (timeouts), checking them first so a missing setting is reported
 * by its property name. Every request goes through a {@link FailoverClientHttpRequestFactory} over
 * the configured nodes, with TLS from the SSL bundle named by {@code vault.ssl.bundle}.
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

	static VaultNodes nodes(VaultConnectionDetails connection) {
		List<URI> uris = connection.getUris();
		for (URI uri : uris) {
			try {
				VaultEndpoint.from(uri);
			}
			catch (IllegalArgumentException ex) {
				throw new VaultDataSourceException("vault.uri=" + uri + " is not a valid Vault address: "
						+ ex.getMessage() + ".",
						"Consider the following: set vault.uri to the server's scheme, host and port, for example "
								+ "vault.uri=https://vault.example.com:8200, or to a comma-separated list of a cluster's "
								+ "nodes.",
						ex);
			}
		}
		return VaultNodes.of(uris);
	}

	static VaultTokenManager tokenManager(VaultConnectionDetails connection, VaultDataSourceProperties properties,
			VaultNodes nodes, @Nullable SslBundles sslBundles, Clock clock) {
		if (properties.getDatasources().isEmpty()) {
			requireRole(connection);
		}
		SslBundle bundle = sslBundle(connection, sslBundles);
		FailoverClientHttpRequestFactory requests = requestFactory(connection, properties, nodes, bundle);
		URI address = nodes.addresses().get(0);
		// The library's own requests go through VaultHttp. Spring Vault's login methods and token
		// renewal take a RestClient, built when first used: never during a start with a given token.
		RestClient restClient = VaultRestClients
			.lazy(() -> VaultRestClients.create(requests, address, connection.getNamespace()));
		VaultTokenManager tokens = new VaultTokenManager(authentication(connection.getLogin(), restClient, bundle),
				new VaultHttp(requests, address, connection.getNamespace()), restClient, clock);
		// Revoking the login token would revoke every lease it created: leases left to expire on
		// shutdown need their token left alone too.
		tokens.setRevokeOnDestroy(properties.getLease().isRevokeOnShutdown());
		return tokens;
	}

	static VaultDatabaseSecretsClient secretsClient(VaultConnectionDetails connection,
			VaultDataSourceProperties properties, VaultTokenManager tokens, Clock clock) {
		// A client of our own rather than a VaultTemplate: the same requests, without loading Jackson
		// or a RestClient; on the token manager's client (same nodes, TLS and namespace) and token.
		// With only vault.datasources.* set, this client has no role of its own: each data source gets
		// one for its role from it (forRole), on the same login, nodes and TLS.
		String role = (properties.getDatasources().isEmpty() || StringUtils.hasText(connection.getDatabaseRole()))
				? requireRole(connection) : "";
		return new VaultDatabaseSecretsClient(tokens.http(), tokens, connection.getDatabaseMount(), role,
				properties.getDatabase().isStaticRole(), clock);
	}

	static FailoverClientHttpRequestFactory requestFactory(VaultConnectionDetails connection,
			VaultDataSourceProperties properties, VaultNodes nodes, @Nullable SslBundles sslBundles) {
		return requestFactory(connection, properties, nodes, sslBundle(connection, sslBundles));
	}

	private static FailoverClientHttpRequestFactory requestFactory(VaultConnectionDetails connection,
			VaultDataSourceProperties properties, VaultNodes nodes, @Nullable SslBundle bundle) {
		SSLSocketFactory socketFactory = (bundle != null) ? VaultSslSocketFactory.of(bundle) : null;
		// Each attempt uses HttpURLConnection with both timeouts: a paused Vault must not hang a renewal.
		return new FailoverClientHttpRequestFactory(nodes, properties.getConnectionTimeout(),
				properties.getReadTimeout(), socketFactory, (bundle != null) ? connection.getSslBundleName() : null);
	}

	private static @Nullable SslBundle sslBundle(VaultConnectionDetails connection, @Nullable SslBundles sslBundles) {
		String name = connection.getSslBundleName();
		if (!StringUtils.hasText(name)) {
			return null;
		}
		if (sslBundles == null) {
			throw new VaultDataSourceException("vault.ssl.bundle=" + name + " is set, but the application has no SSL "
					+ "bundles (Spring Boot's SslAutoConfiguration did not run).",
					"Consider the following: define the bundle with spring.ssl.bundle.pem." + name
							+ ".truststore.certificate=file:/path/vault-ca.pem, or remove vault.ssl.bundle.",
					null);
		}
		try {
			return sslBundles.getBundle(name);
		}
		catch (NoSuchSslBundleException ex) {
			throw new VaultDataSourceException("vault.ssl.bundle=" + name + " names no SSL bundle.",
					"Consider the following: define it, for example spring.ssl.bundle.pem." + name
							+ ".truststore.certificate=file:/path/vault-ca.pem (and, for mutual TLS or "
							+ "vault.authentication=cert, spring.ssl.bundle.pem." + name
							+ ".keystore.certificate / .keystore.private-key), or set vault.ssl.bundle to an existing "
							+ "bundle.",
					ex);
		}
	}

	private static ClientAuthentication authentication(Login login, RestClient restClient,
			@Nullable SslBundle bundle) {
		return switch (login.method()) {
			case TOKEN -> {
				if (login instanceof Login.TokenFile tokenFile) {
					yield new TokenFileAuthentication(readableFile(tokenFile.file(), "vault.token-file",
							"the file an agent writes the Vault token to (Vault Agent or OpenBao Agent sink)"));
				}
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
			case JWT -> {
				Login.Jwt jwt = (Login.Jwt) login;
				if (!StringUtils.hasText(jwt.role())) {
					throw missing("vault.jwt.role", "the Vault role used with vault.authentication=jwt",
							"vault.jwt.role=my-app");
				}
				if (!StringUtils.hasText(jwt.tokenFile())) {
					throw missing("vault.jwt.token-file", "the file holding the workload identity token (a JWT) used "
							+ "with vault.authentication=jwt", "vault.jwt.token-file=/var/run/secrets/tokens/vault-token");
				}
				Path tokenFile = readableFile(jwt.tokenFile(), "vault.jwt.token-file",
						"the workload identity token (a JWT) that vault.authentication=jwt logs in with");
				JwtAuthenticationOptions options = JwtAuthenticationOptions.builder()
					.path(jwt.path())
					.role(jwt.role())
					// Read at every login: the platform replaces short-lived tokens.
					.jwtSupplier(new ResourceCredentialSupplier(new FileSystemResource(tokenFile)))
					.build();
				yield new JwtAuthentication(options, restClient);
			}
			case CERT -> {
				Login.Cert cert = (Login.Cert) login;
				if (bundle == null || bundle.getStores().getKeyStore() == null) {
					throw new VaultDataSourceException("vault.authentication=cert needs a client certificate, but "
							+ ((bundle == null) ? "vault.ssl.bundle is not set."
									: "the SSL bundle named by vault.ssl.bundle has no key store."),
							"Consider the following: set vault.ssl.bundle to a bundle with a key store, for example "
									+ "spring.ssl.bundle.pem.vault.keystore.certificate=file:/path/client.pem, "
									+ "spring.ssl.bundle.pem.vault.keystore.private-key=file:/path/client-key.pem and "
									+ "vault.ssl.bundle=vault.",
							null);
				}
				ClientCertificateAuthenticationOptions.ClientCertificateAuthenticationOptionsBuilder options = ClientCertificateAuthenticationOptions
					.builder()
					.path(cert.path());
				if (StringUtils.hasText(cert.role())) {
					options.role(cert.role());
				}
				yield new ClientCertificateAuthentication(options.build(), restClient);
			}
		};
	}

	private static Path readableFile(String file, String property, String meaning) {
		Path path = Path.of(file);
		if (!path.toFile().canRead()) {
			throw new VaultDataSourceException(property + "=" + file + " cannot be read; it is " + meaning + ".",
					"Consider the following: point " + property + " at a readable file, or check that the agent or "
							+ "platform that writes it runs and mounts it into this process.",
					null);
		}
		return path;
	}

	private static VaultDataSourceException missing(String property, String meaning, String example) {
		return new VaultDataSourceException(property + " is not set: it is " + meaning + ".",
				"Consider the following: set " + property + ", for example " + example + ".", null);
	}

}
