package io.github.vaultdatasource.vault;

import java.net.URI;

import org.jspecify.annotations.Nullable;

import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.converter.ByteArrayHttpMessageConverter;
import org.springframework.http.converter.StringHttpMessageConverter;
import org.springframework.util.StringUtils;
import org.springframework.vault.authentication.SessionManager;
import org.springframework.vault.client.SimpleVaultEndpointProvider;
import org.springframework.vault.client.VaultClients;
import org.springframework.vault.client.VaultEndpoint;
import org.springframework.vault.client.VaultHttpHeaders;
import org.springframework.web.client.RestClient;

/**
 * Builds the {@link RestClient}s the library talks to Vault with: paths relative to
 * {@code <address>/v1/} as in Spring Vault's clients, the namespace header when one is set, and
 * {@link VaultJsonMessageConverter} for JSON, so that a request does not need Jackson.
 */
public final class VaultRestClients {

	private VaultRestClients() {
	}

	/**
	 * Create a client that sends no token: for logging in, and for Spring Vault's session manager,
	 * which sends the token itself.
	 * @param requestFactory how requests are sent (the nodes, timeouts and TLS)
	 * @param address the address paths are resolved against
	 * @param namespace the Vault namespace, or {@code null} for none
	 * @return the client
	 */
	public static RestClient create(ClientHttpRequestFactory requestFactory, URI address, @Nullable String namespace) {
		VaultJsonMessageConverter json = new VaultJsonMessageConverter();
		RestClient.Builder builder = RestClient.builder()
			.requestFactory(requestFactory)
			.uriBuilderFactory(VaultClients.createUriBuilderFactory(SimpleVaultEndpointProvider.of(VaultEndpoint.from(address))))
			// As Spring Vault's clients: an error's body stays readable after a converter read it.
			.bufferContent((uri, method) -> true)
			.configureMessageConverters((converters) -> converters.disableDefaults()
				.addCustomConverter(new ByteArrayHttpMessageConverter())
				.addCustomConverter(new StringHttpMessageConverter())
				.addCustomConverter(json)
				.withJsonConverter(json));
		if (StringUtils.hasText(namespace)) {
			builder.defaultHeader(VaultHttpHeaders.VAULT_NAMESPACE, namespace);
		}
		return builder.build();
	}

	/**
	 * Return a client like the given one that sends the session's token with every request, as
	 * Spring Vault's {@code VaultTemplate} does.
	 * @param client the client without a token
	 * @param sessions where the token comes from (logging in when there is none yet)
	 * @return the client with the token
	 */
	public static RestClient withSession(RestClient client, SessionManager sessions) {
		return client.mutate().requestInterceptor((request, body, execution) -> {
			request.getHeaders().set(VaultHttpHeaders.VAULT_TOKEN, sessions.getSessionToken().getToken());
			return execution.execute(request, body);
		}).build();
	}

}
