package io.github.vaultdatasource.vault;

import java.net.URI;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpMethod;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.converter.ByteArrayHttpMessageConverter;
import org.springframework.http.converter.StringHttpMessageConverter;
import org.springframework.util.StringUtils;
import org.springframework.vault.client.SimpleVaultEndpointProvider;
import org.springframework.vault.client.VaultClients;
import org.springframework.vault.client.VaultEndpoint;
import org.springframework.vault.client.VaultHttpHeaders;
import org.springframework.web.client.RestClient;

/**
 * Builds the {@link RestClient}s that Spring Vault's login methods and session manager take (the
 * library's own requests go through {@link VaultHttp}): paths relative to {@code <address>/v1/} as
 * in Spring Vault's clients, the namespace header when one is set, and
 * {@link VaultJsonMessageConverter} for JSON, so that a request does not need Jackson.
 */
public final class VaultRestClients {

	private VaultRestClients() {
	}

	/**
	 * Create a client that sends no token: for Spring Vault's login methods and session manager,
	 * which send the token themselves.
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
	 * Return a client that is built on its first use. Spring Vault's session manager and login
	 * methods take a client when they are created; with a token given to the application they never
	 * use it before the token's renewal, if ever, and building it loads a few hundred classes.
	 * @param factory builds the client
	 * @return the client
	 */
	public static RestClient lazy(Supplier<RestClient> factory) {
		return new LazyRestClient(factory);
	}

	private static final class LazyRestClient implements RestClient {

		private final Supplier<RestClient> factory;

		private volatile @Nullable RestClient client;

		LazyRestClient(Supplier<RestClient> factory) {
			this.factory = factory;
		}

		private RestClient client() {
			RestClient client = this.client;
			if (client == null) {
				synchronized (this) {
					client = this.client;
					if (client == null) {
						client = this.factory.get();
						this.client = client;
					}
				}
			}
			return client;
		}

		@Override
		public RequestHeadersUriSpec<?> get() {
			return client().get();
		}

		@Override
		public RequestHeadersUriSpec<?> head() {
			return client().head();
		}

		@Override
		public RequestBodyUriSpec post() {
			return client().post();
		}

		@Override
		public RequestBodyUriSpec put() {
			return client().put();
		}

		@Override
		public RequestBodyUriSpec patch() {
			return client().patch();
		}

		@Override
		public RequestHeadersUriSpec<?> delete() {
			return client().delete();
		}

		@Override
		public RequestHeadersUriSpec<?> options() {
			return client().options();
		}

		@Override
		public RequestBodyUriSpec method(HttpMethod method) {
			return client().method(method);
		}

		@Override
		public Builder mutate() {
			return client().mutate();
		}

	}

}
