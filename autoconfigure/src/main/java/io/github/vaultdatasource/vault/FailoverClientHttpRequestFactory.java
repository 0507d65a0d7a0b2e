package io.github.vaultdatasource.vault;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.AbstractBufferingClientHttpRequest;
import org.springframework.http.client.ClientHttpRequest;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.util.StreamUtils;
import org.springframework.web.util.UriComponentsBuilder;

import static io.github.vaultdatasource.vault.VaultErrors.findCause;
import static io.github.vaultdatasource.vault.VaultErrors.rootMessage;

/**
 * A {@link ClientHttpRequestFactory} for Spring Vault that sends each request to a Vault node that
 * can serve it. It starts with the node that answered last and moves on when a node refuses the
 * connection, times out, or gives one of the answers of a leader election under way: a redirect
 * from a standby (never followed: it may point to the node that just died), 429 from a standby
 * that knows no leader, 500 "active cluster node not found", or 502/503/504 (sealed node, load
 * balancer without a healthy backend). When every node failed it retries them with a backoff of
 * 100 ms doubling to 1 s, until {@code vault.read-timeout} has passed since the request started;
 * every attempt's own timeouts are cut to what is left of it, so one Vault call never takes much
 * longer than {@code vault.read-timeout}. It then throws a {@link VaultNodesUnavailableException},
 * an {@link IOException}, which {@code RestClient} reports as a {@code ResourceAccessException}.
 * <p>
 * TLS problems are configuration errors and fail at once with a {@link VaultTlsException}: an
 * untrusted or mismatched certificate, {@code https} to a plain-HTTP port, or {@code http} to an
 * HTTPS port.
 */
public class FailoverClientHttpRequestFactory implements ClientHttpRequestFactory {

	private static final Log logger = LogFactory.getLog(FailoverClientHttpRequestFactory.class);

	private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);

	private static final Duration MAX_BACKOFF = Duration.ofSeconds(1);

	// A node tried for the first time in a request gets at least this long, even when an earlier
	// node used up the budget: so one hung node cannot hide the healthy ones.
	private static final Duration FIRST_TRY_FLOOR = Duration.ofMillis(500);

	private final VaultNodes nodes;

	private final Duration connectTimeout;

	private final Duration readTimeout;

	private final @Nullable SSLSocketFactory sslSocketFactory;

	private final @Nullable String sslBundle;

	private final Ticker ticker;

	/**
	 * Create a factory.
	 * @param nodes the nodes to use
	 * @param connectTimeout longest wait for one connection
	 * @param readTimeout longest wait for one answer, and the budget of one request across nodes
	 * @param sslSocketFactory the TLS configuration for {@code https} nodes, {@code null} for the
	 * JVM's default trust store
	 * @param sslBundle the name of the SSL bundle the TLS configuration comes from, for error
	 * messages, {@code null} when none is configured
	 */
	public FailoverClientHttpRequestFactory(VaultNodes nodes, Duration connectTimeout, Duration readTimeout,
			@Nullable SSLSocketFactory sslSocketFactory, @Nullable String sslBundle) {
		this(nodes, connectTimeout, readTimeout, sslSocketFactory, sslBundle, Ticker.SYSTEM);
	}

	FailoverClientHttpRequestFactory(VaultNodes nodes, Duration connectTimeout, Duration readTimeout,
			@Nullable SSLSocketFactory sslSocketFactory, @Nullable String sslBundle, Ticker ticker) {
		this.nodes = nodes;
		this.connectTimeout = connectTimeout;
		this.readTimeout = readTimeout;
		this.sslSocketFactory = sslSocketFactory;
		this.sslBundle = sslBundle;
		this.ticker = ticker;
	}

	/**
	 * Return the nodes this factory sends requests to.
	 * @return the nodes
	 */
	public VaultNodes nodes() {
		return this.nodes;
	}

	@Override
	public ClientHttpRequest createRequest(URI uri, HttpMethod httpMethod) {
		return new FailoverRequest(uri, httpMethod);
	}

	NodeResponse execute(URI requested, HttpMethod method, HttpHeaders headers, byte[] body) throws IOException {
		long started = this.ticker.nanoTime();
		long deadline = started + this.readTimeout.toNanos();
		List<NodeOutcome> outcomes = new ArrayList<>();
		List<URI> tried = new ArrayList<>();
		Duration backoff = FIRST_BACKOFF;
		while (true) {
			for (URI node : this.nodes.tryOrder()) {
				long remaining = deadline - this.ticker.nanoTime();
				boolean firstTry = !tried.contains(node);
				if (remaining <= 0 && !firstTry) {
					break;
				}
				tried.add(node);
				Duration budget = Duration.ofNanos(Math.max(remaining, firstTry ? FIRST_TRY_FLOOR.toNanos() : 0));
				NodeResponse answer = attempt(node, requested, method, headers, body, budget, outcomes);
				if (answer != null) {
					this.nodes.answered(node);
					if (!outcomes.isEmpty() && logger.isInfoEnabled()) {
						logger.info(String.format("Vault node %s answered %s %s after %d ms; before it: %s", node, method,
								requested.getRawPath(), Duration.ofNanos(this.ticker.nanoTime() - started).toMillis(),
								NodeOutcome.describe(outcomes)));
					}
					return answer;
				}
			}
			// No pause that would end at or past the deadline: there would be no time left to try again.
			if (backoff.toNanos() >= deadline - this.ticker.nanoTime()) {
				throw new VaultNodesUnavailableException(requested.getRawPath(),
						Duration.ofNanos(this.ticker.nanoTime() - started), outcomes);
			}
			this.ticker.sleep(backoff);
			backoff = (backoff.multipliedBy(2).compareTo(MAX_BACKOFF) < 0) ? backoff.multipliedBy(2) : MAX_BACKOFF;
		}
	}

	private @Nullable NodeResponse attempt(URI node, URI requested, HttpMethod method, HttpHeaders headers,
			byte[] body, Duration budget, List<NodeOutcome> outcomes) throws IOException {
		URI target = retarget(requested, node);
		ClientHttpResponse response;
		int status;
		try {
			ClientHttpRequest request = connectionFactory(budget).createRequest(target, method);
			request.getHeaders().putAll(headers);
			if (body.length > 0) {
				StreamUtils.copy(body, request.getBody());
			}
			response = request.execute();
			// HttpURLConnection reads the status line here: a node that dies mid-request fails now.
			status = response.getStatusCode().value();
		}
		catch (SSLException ex) {
			throw tlsFailure(node, ex);
		}
		catch (IOException ex) {
			SSLException tls = ("https".equals(node.getScheme()) && isUnexplained(ex)) ? probeTls(node) : null;
			if (tls != null) {
				throw tlsFailure(node, tls);
			}
			outcomes.add(new NodeOutcome(node, 0, describe(ex)));
			return null;
		}
		if (status >= 300 && status < 400) {
			URI location = response.getHeaders().getLocation();
			response.close();
			outcomes.add(new NodeOutcome(node, status,
					"redirect to " + ((location != null) ? location.getScheme() + "://" + location.getAuthority() : "?")
							+ " (a standby during a leader election), not followed"));
			return null;
		}
		if (status == 429 || status == 502 || status == 503 || status == 504) {
			byte[] content = readBody(response);
			response.close();
			// sys/health of a sealed node answers 503 with {"sealed":true,...} and no errors.
			String text = new String(content, StandardCharsets.UTF_8).replace(" ", "").contains("\"sealed\":true")
					? "sealed" : errorText(content);
			outcomes.add(new NodeOutcome(node, status, text.isEmpty() ? describeStatus(status) : text));
			return null;
		}
		if (status == 500 || status == 400) {
			byte[] content = readBody(response);
			response.close();
			String text = errorText(content);
			if (status == 500 && VaultErrors.isFailoverGap(text)) {
				outcomes.add(new NodeOutcome(node, status, text));
				return null;
			}
			if (status == 400 && text.toLowerCase(Locale.ROOT).contains("http request to an https server")) {
				throw new VaultTlsException("Vault at " + node + " serves HTTPS but vault.uri names it with http://",
						"set vault.uri to https://" + node.getAuthority() + " and trust its certificate with vault.ssl.bundle",
						null);
			}
			return new NodeResponse(node, response.getStatusCode(), response.getStatusText(), response.getHeaders(),
					content, null);
		}
		return new NodeResponse(node, response.getStatusCode(), response.getStatusText(), response.getHeaders(), null,
				response);
	}

	private VaultTlsException tlsFailure(URI node, SSLException ex) {
		String message = String.valueOf(ex.getMessage());
		if (message.contains("Unsupported or unrecognized SSL message") || message.contains("plaintext connection")) {
			return new VaultTlsException("Vault at " + node + " answered in plain HTTP, not TLS: vault.uri names an "
					+ "https address for a port that serves http", "set vault.uri to http://" + node.getAuthority()
							+ " if this Vault really serves plain HTTP, or point it at the HTTPS listener", ex);
		}
		String bundle = this.sslBundle;
		if (message.contains("certificate_required") || message.contains("bad_certificate")
				|| message.contains("unknown_ca")) {
			return new VaultTlsException("Vault at " + node + " refused the TLS client certificate"
					+ ((bundle != null) ? " of SSL bundle '" + bundle + "'" : " (no vault.ssl.bundle is set)") + ": "
					+ rootMessage(ex), "give the bundle's key store (spring.ssl.bundle.pem."
							+ ((bundle != null) ? bundle : "<name>")
							+ ".keystore.certificate and .private-key) a client certificate signed by a CA that Vault's "
							+ "listener trusts (tls_client_ca_file)", ex);
		}
		boolean certificate = findCause(ex, CertificateException.class) != null
				|| message.contains("PKIX") || message.contains("certificate");
		if (certificate && bundle == null) {
			return new VaultTlsException("The TLS certificate of Vault at " + node + " is not trusted by the JVM's "
					+ "default trust store: " + rootMessage(ex), "configure vault.ssl.bundle=<name> with the CA that signed "
							+ "Vault's certificate, e.g. spring.ssl.bundle.pem.vault.truststore.certificate=file:/path/vault-ca.pem "
							+ "and vault.ssl.bundle=vault", ex);
		}
		if (certificate) {
			return new VaultTlsException("The TLS certificate of Vault at " + node + " is not accepted with SSL bundle '"
					+ bundle + "' (vault.ssl.bundle): " + rootMessage(ex),
					"put the CA that signed Vault's certificate in spring.ssl.bundle.pem." + bundle
							+ ".truststore.certificate (or spring.ssl.bundle.jks." + bundle
							+ ".truststore.*), and address Vault by a name its certificate holds (hostname verification is on)",
					ex);
		}
		return new VaultTlsException("The TLS handshake with Vault at " + node + " failed"
				+ ((bundle != null) ? " (SSL bundle '" + bundle + "')" : "") + ": " + rootMessage(ex),
				"check vault.ssl.bundle: its trust store must hold Vault's CA, and its key store the client certificate "
						+ "when Vault requires one (tls_require_and_verify_client_cert)",
				ex);
	}

	private static boolean isUnexplained(IOException ex) {
		return !(ex instanceof ConnectException || ex instanceof SocketTimeoutException
				|| ex instanceof UnknownHostException);
	}

	/**
	 * With TLS 1.3 a server that rejects the client certificate says so with an alert after the
	 * handshake, so the request fails with a bare "Error writing to server". One handshake and a
	 * read on a socket of our own bring the alert to light.
	 */
	private @Nullable SSLException probeTls(URI node) {
		SSLSocketFactory factory = (this.sslSocketFactory != null) ? this.sslSocketFactory
				: (SSLSocketFactory) SSLSocketFactory.getDefault();
		int port = (node.getPort() != -1) ? node.getPort() : 443;
		try (SSLSocket socket = (SSLSocket) factory.createSocket()) {
			socket.connect(new InetSocketAddress(node.getHost(), port), (int) this.connectTimeout.toMillis());
			socket.setSoTimeout((int) Math.min(this.readTimeout.toMillis(), 1000));
			socket.startHandshake();
			// A server that refused the client certificate sends its alert unasked; one that
			// accepted it sends nothing, and the read times out.
			socket.getInputStream().read();
			return null;
		}
		catch (SSLException ex) {
			return ex;
		}
		catch (IOException | RuntimeException ex) {
			return null;
		}
	}

	private SimpleClientHttpRequestFactory connectionFactory(Duration budget) {
		NodeConnectionFactory factory = new NodeConnectionFactory(this.sslSocketFactory);
		factory.setConnectTimeout(min(this.connectTimeout, budget));
		factory.setReadTimeout(min(this.readTimeout, budget));
		return factory;
	}

	private static Duration min(Duration a, Duration b) {
		Duration shorter = (a.compareTo(b) <= 0) ? a : b;
		// HttpURLConnection reads 0 as "no timeout".
		return (shorter.toMillis() < 1) ? Duration.ofMillis(1) : shorter;
	}

	private static URI retarget(URI requested, URI node) {
		return UriComponentsBuilder.fromUri(requested)
			.scheme(node.getScheme())
			.host(node.getHost())
			.port(node.getPort())
			.build(true)
			.toUri();
	}

	private static byte[] readBody(ClientHttpResponse response) {
		try (InputStream in = response.getBody()) {
			return in.readAllBytes();
		}
		catch (IOException ex) {
			return new byte[0];
		}
	}

	private static String errorText(byte[] body) {
		String text = new String(body, StandardCharsets.UTF_8).trim();
		String messages = VaultErrors.messages(text);
		if (!messages.isEmpty()) {
			text = messages;
		}
		else if (text.startsWith("{") || text.startsWith("<")) {
			// Not Vault's errors: sys/health's status, or a load balancer's page.
			text = "";
		}
		return (text.length() > 200) ? text.substring(0, 200) + "…" : text;
	}

	private static String describeStatus(int status) {
		return switch (status) {
			case 429 -> "standby without an active node";
			case 503 -> "unavailable";
			default -> "gateway error";
		};
	}

	private static String describe(IOException ex) {
		if (ex instanceof ConnectException) {
			return "connection refused";
		}
		if (ex instanceof SocketTimeoutException) {
			return "timed out (" + ex.getMessage() + ")";
		}
		if (ex instanceof UnknownHostException) {
			return "unknown host";
		}
		return rootMessage(ex);
	}

	/**
	 * Time for the retry loop, replaceable in tests.
	 */
	interface Ticker {

		Ticker SYSTEM = new Ticker() {

			@Override
			public long nanoTime() {
				return System.nanoTime();
			}

			@Override
			public void sleep(Duration duration) throws IOException {
				try {
					Thread.sleep(duration.toMillis(), duration.toNanosPart() % 1_000_000);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					throw new java.io.InterruptedIOException("Interrupted while waiting to retry a Vault node");
				}
			}

		};

		long nanoTime();

		void sleep(Duration duration) throws IOException;

	}

	/**
	 * What one node did with one attempt.
	 *
	 * @param node the node
	 * @param status the HTTP status, 0 when there was no answer
	 * @param description what happened, free of secrets
	 */
	public record NodeOutcome(URI node, int status, String description) {

		static String describe(List<NodeOutcome> outcomes) {
			StringBuilder text = new StringBuilder();
			URI previous = null;
			int repeats = 0;
			for (int i = 0; i < outcomes.size(); i++) {
				NodeOutcome outcome = outcomes.get(i);
				boolean sameAsNext = i + 1 < outcomes.size() && outcomes.get(i + 1).equals(outcome);
				if (sameAsNext) {
					repeats++;
					continue;
				}
				if (!text.isEmpty()) {
					text.append("; ");
				}
				text.append(outcome);
				if (repeats > 0) {
					text.append(" (").append(repeats + 1).append(" times)");
				}
				repeats = 0;
				previous = outcome.node();
			}
			return (previous != null) ? text.toString() : "no attempt";
		}

		@Override
		public String toString() {
			return this.node + ": " + ((this.status != 0) ? this.status + " " : "") + this.description;
		}

	}

	/**
	 * An answer from a node, telling which node gave it.
	 */
	public static final class NodeResponse implements ClientHttpResponse {

		private final URI node;

		private final HttpStatusCode status;

		private final String statusText;

		private final HttpHeaders headers;

		private final byte @Nullable [] body;

		private final @Nullable ClientHttpResponse delegate;

		NodeResponse(URI node, HttpStatusCode status, String statusText, HttpHeaders headers, byte @Nullable [] body,
				@Nullable ClientHttpResponse delegate) {
			this.node = node;
			this.status = status;
			this.statusText = statusText;
			this.headers = headers;
			this.body = body;
			this.delegate = delegate;
		}

		/**
		 * Return the node that answered.
		 * @return its address
		 */
		public URI node() {
			return this.node;
		}

		@Override
		public HttpStatusCode getStatusCode() {
			return this.status;
		}

		@Override
		public String getStatusText() {
			return this.statusText;
		}

		@Override
		public HttpHeaders getHeaders() {
			return this.headers;
		}

		@Override
		public InputStream getBody() throws IOException {
			if (this.delegate != null) {
				return this.delegate.getBody();
			}
			return new ByteArrayInputStream((this.body != null) ? this.body : new byte[0]);
		}

		@Override
		public void close() {
			if (this.delegate != null) {
				this.delegate.close();
			}
		}

	}

	private final class FailoverRequest extends AbstractBufferingClientHttpRequest {

		private final URI uri;

		private final HttpMethod method;

		FailoverRequest(URI uri, HttpMethod method) {
			this.uri = uri;
			this.method = method;
		}

		@Override
		public HttpMethod getMethod() {
			return this.method;
		}

		@Override
		public URI getURI() {
			return this.uri;
		}

		@Override
		protected ClientHttpResponse executeInternal(HttpHeaders headers, byte[] body) throws IOException {
			return FailoverClientHttpRequestFactory.this.execute(this.uri, this.method, headers, body);
		}

	}

	/**
	 * HttpURLConnection with the TLS configuration, and redirects never followed: a standby's
	 * redirect during a leader election points to the node that may just have died.
	 */
	private static final class NodeConnectionFactory extends SimpleClientHttpRequestFactory {

		private final @Nullable SSLSocketFactory sslSocketFactory;

		NodeConnectionFactory(@Nullable SSLSocketFactory sslSocketFactory) {
			this.sslSocketFactory = sslSocketFactory;
		}

		@Override
		protected void prepareConnection(HttpURLConnection connection, String httpMethod) throws IOException {
			super.prepareConnection(connection, httpMethod);
			connection.setInstanceFollowRedirects(false);
			if (connection instanceof HttpsURLConnection https && this.sslSocketFactory != null) {
				https.setSSLSocketFactory(this.sslSocketFactory);
			}
		}

	}

}
