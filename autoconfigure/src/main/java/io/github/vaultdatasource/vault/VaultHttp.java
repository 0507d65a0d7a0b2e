package io.github.vaultdatasource.vault;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.client.ClientHttpRequest;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.util.StreamUtils;
import org.springframework.util.StringUtils;
import org.springframework.vault.client.VaultEndpoint;
import org.springframework.vault.client.VaultHttpHeaders;
import org.springframework.vault.support.VaultResponse;

/**
 * The library's own requests to Vault's API, sent straight through a
 * {@link ClientHttpRequestFactory} (the nodes, timeouts and TLS): a path relative to the address
 * as Spring Vault resolves it ({@code <address>/v1/<path>}), the namespace header when one is
 * set, a token when given, and JSON read and written by {@link VaultJson}. Spring's
 * {@code RestClient} does the same with its URI templates, message converters, observations and
 * status handlers, about 250 classes that a start would load and compile for two requests.
 */
public final class VaultHttp {

	private final ClientHttpRequestFactory requestFactory;

	private final VaultEndpoint endpoint;

	private final @Nullable String namespace;

	/**
	 * Create a client.
	 * @param requestFactory how requests are sent
	 * @param address the address paths are resolved against
	 * @param namespace the Vault namespace, or {@code null} for none
	 */
	public VaultHttp(ClientHttpRequestFactory requestFactory, URI address, @Nullable String namespace) {
		this.requestFactory = requestFactory;
		this.endpoint = VaultEndpoint.from(address);
		this.namespace = StringUtils.hasText(namespace) ? namespace : null;
	}

	/**
	 * Send one request and read the whole answer, whatever its status.
	 * @param method the method
	 * @param path the path under the API's root, such as {@code sys/leases/renew}
	 * @param token the token to send, or {@code null} for none
	 * @param body a JSON body made of maps, lists and plain values, or {@code null} for none
	 * @return the answer
	 * @throws IOException when Vault could not be reached or the answer could not be read
	 */
	public Answer send(HttpMethod method, String path, @Nullable String token, @Nullable Object body)
			throws IOException {
		ClientHttpRequest request = this.requestFactory.createRequest(this.endpoint.createUri(path), method);
		if (this.namespace != null) {
			request.getHeaders().set(VaultHttpHeaders.VAULT_NAMESPACE, this.namespace);
		}
		if (token != null) {
			request.getHeaders().set(VaultHttpHeaders.VAULT_TOKEN, token);
		}
		if (body != null) {
			byte[] json = VaultJson.write(body).getBytes(StandardCharsets.UTF_8);
			request.getHeaders().setContentType(MediaType.APPLICATION_JSON);
			request.getHeaders().setContentLength(json.length);
			request.getBody().write(json);
		}
		try (ClientHttpResponse response = request.execute(); InputStream in = response.getBody()) {
			return new Answer(response.getStatusCode().value(), StreamUtils.copyToString(in, StandardCharsets.UTF_8));
		}
	}

	/**
	 * Vault's answer to one request.
	 *
	 * @param status the HTTP status
	 * @param body the body as text, empty when there was none
	 */
	public record Answer(int status, String body) {

		/**
		 * Whether Vault answered with an error status (4xx or 5xx).
		 * @return whether the status is 400 or above
		 */
		public boolean isError() {
			return this.status >= 400;
		}

		/**
		 * Read the body as Spring Vault's {@link VaultResponse}, as its JSON binding would.
		 * @return the response, or {@code null} when the body is empty (204)
		 * @throws IllegalArgumentException when the body is not a JSON object
		 */
		public @Nullable VaultResponse response() {
			if (!StringUtils.hasText(this.body)) {
				return null;
			}
			if (!(VaultJson.parse(this.body) instanceof Map<?, ?> map)) {
				throw new IllegalArgumentException("Vault's answer is not a JSON object");
			}
			return VaultJsonMessageConverter.response(map);
		}

	}

}
