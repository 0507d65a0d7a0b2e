package io.github.vaultdatasource.vault;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import io.github.vaultdatasource.vault.FailoverClientHttpRequestFactory.NodeOutcome;
import io.github.vaultdatasource.vault.FailoverClientHttpRequestFactory.NodeResponse;

import org.springframework.http.HttpMethod;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.util.StreamUtils;

/**
 * Asks Vault's {@code sys/health} through the same nodes and failover as every other request, so
 * the answer says which node the application reaches. The request needs no token.
 */
public class VaultHealthClient {

	// standbyok: a standby serves (it forwards); uninitcode=200: the body says so. A sealed node
	// answers 503, so the request moves on to a node that is not sealed.
	private static final String HEALTH_PATH = "v1/sys/health?standbyok=true&perfstandbyok=true&uninitcode=200";

	private final FailoverClientHttpRequestFactory requestFactory;

	/**
	 * Create a client.
	 * @param requestFactory the factory that chooses the node
	 */
	public VaultHealthClient(FailoverClientHttpRequestFactory requestFactory) {
		this.requestFactory = requestFactory;
	}

	/**
	 * Ask Vault whether it is initialised, unsealed and active.
	 * @return the status; never throws
	 */
	public VaultServerStatus serverStatus() {
		URI first = this.requestFactory.nodes().addresses().get(0);
		URI uri = URI.create(first.getScheme() + "://" + first.getRawAuthority() + "/" + HEALTH_PATH);
		try (ClientHttpResponse response = this.requestFactory.createRequest(uri, HttpMethod.GET).execute()) {
			URI node = (response instanceof NodeResponse answer) ? answer.node() : null;
			Object parsed;
			try (InputStream in = response.getBody()) {
				parsed = VaultJson.parse(StreamUtils.copyToString(in, StandardCharsets.UTF_8));
			}
			catch (IllegalArgumentException ex) {
				parsed = null;
			}
			if (!(parsed instanceof Map<?, ?> body)) {
				return new VaultServerStatus(false, false, false, false, null,
						"sys/health answered " + response.getStatusCode().value() + " without a readable body", node);
			}
			Object version = body.get("version");
			return new VaultServerStatus(true, Boolean.TRUE.equals(body.get("initialized")),
					Boolean.TRUE.equals(body.get("sealed")), Boolean.TRUE.equals(body.get("standby")),
					(version != null) ? version.toString() : null, null, node);
		}
		catch (VaultNodesUnavailableException ex) {
			if (allSealed(ex)) {
				NodeOutcome last = ex.getOutcomes().get(ex.getOutcomes().size() - 1);
				return new VaultServerStatus(true, true, true, false, null, ex.getMessage(), last.node());
			}
			return VaultServerStatus.unreachable("Vault could not be reached: " + ex.getMessage());
		}
		catch (IOException ex) {
			return VaultServerStatus.unreachable("Vault could not be reached: " + ex.getMessage());
		}
	}

	private static boolean allSealed(VaultNodesUnavailableException ex) {
		return !ex.getOutcomes().isEmpty() && ex.getOutcomes()
			.stream()
			.allMatch((outcome) -> outcome.status() == 503 && outcome.description().contains("sealed"));
	}

}
