package io.github.vaultdatasource.vault;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.http.client.SimpleClientHttpRequestFactory;
import org.springframework.vault.authentication.ClientAuthentication;
import org.springframework.vault.authentication.LoginToken;
import org.springframework.vault.authentication.TokenAuthentication;
import org.springframework.vault.support.VaultToken;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link VaultTokenManager}: a token given to the application is used at once and looked
 * up in the background with the library's own client, so its TTL is known, and is never revoked; a
 * token made by a login is revoked on shutdown through Spring Vault's client, built only then.
 */
class VaultTokenManagerTests {

	private static final Instant NOW = Instant.parse("2025-01-01T10:00:00Z");

	private final List<String> requests = new CopyOnWriteArrayList<>();

	private HttpServer server;

	private int lookupStatus = 200;

	private boolean renewable;

	// Holds the look-up's answer until opened.
	private final CountDownLatch lookupAnswers = new CountDownLatch(1);

	private final List<Boolean> restClientBuilt = new CopyOnWriteArrayList<>();

	@BeforeEach
	void startVault() throws IOException {
		this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		this.server.createContext("/", (exchange) -> {
			String path = exchange.getRequestURI().getPath();
			exchange.getRequestBody().readAllBytes();
			this.requests.add(exchange.getRequestMethod() + " " + path + " token="
					+ exchange.getRequestHeaders().getFirst("X-Vault-Token"));
			boolean lookup = path.equals("/v1/auth/token/lookup-self");
			if (lookup) {
				await(this.lookupAnswers);
			}
			boolean renewal = path.equals("/v1/auth/token/renew-self");
			int status = lookup ? this.lookupStatus : renewal ? 200 : 204;
			String body = renewal ? "{\"auth\":{\"client_token\":\"s.given\",\"lease_duration\":600,\"renewable\":true}}"
					: !lookup ? ""
					: (status == 200) ? "{\"data\":{\"ttl\":600,\"renewable\":" + this.renewable
							+ ",\"accessor\":\"acc1\",\"type\":\"service\",\"policies\":[\"app\"]}}"
							: "{\"errors\":[\"permission denied\"]}";
			byte[] answer = body.getBytes(StandardCharsets.UTF_8);
			exchange.getResponseHeaders().add("Content-Type", "application/json");
			exchange.sendResponseHeaders(status, (answer.length > 0) ? answer.length : -1);
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(answer);
			}
		});
		this.server.start();
	}

	@AfterEach
	void stopVault() {
		this.server.stop(0);
	}

	@Test
	void aGivenTokenIsUsedBeforeVaultAnswersItsLookUpAndThenHasItsTtl() throws Exception {
		VaultTokenManager tokens = manager(new TokenAuthentication("s.given"));
		AtomicInteger relogins = new AtomicInteger();
		tokens.onRelogin(relogins::incrementAndGet);
		// Vault has not answered the look-up yet: the token is there all the same, without a TTL.
		assertThat(tokens.getSessionToken().getToken()).isEqualTo("s.given");
		assertThat(tokens.tokenTimeToLive()).isEmpty();
		assertThat(tokens.lookedUp()).isNotDone();
		this.lookupAnswers.countDown();
		tokens.lookedUp().get(10, TimeUnit.SECONDS);
		assertThat(tokens.tokenTimeToLive()).contains(Duration.ofSeconds(600));
		assertThat(tokens.getSessionToken().getToken()).isEqualTo("s.given");
		// Taking the same token again with its TTL is not a new login: no lease is rotated for it.
		assertThat(relogins).hasValue(0);
		tokens.destroy();
		assertThat(this.requests).containsExactly("GET /v1/auth/token/lookup-self token=s.given");
		assertThat(this.restClientBuilt).isEmpty();
	}

	@Test
	void aRenewableGivenTokenIsRenewedOnceLookedUp() throws Exception {
		this.renewable = true;
		this.lookupAnswers.countDown();
		VaultTokenManager tokens = manager(new TokenAuthentication("s.given"));
		assertThat(tokens.getSessionToken().getToken()).isEqualTo("s.given");
		tokens.lookedUp().get(10, TimeUnit.SECONDS);
		// Spring Vault renews a renewable login token; the renewal goes through its RestClient.
		assertThat(tokens.renewToken()).isTrue();
		tokens.destroy();
		assertThat(this.requests).containsExactly("GET /v1/auth/token/lookup-self token=s.given",
				"POST /v1/auth/token/renew-self token=s.given");
	}

	@Test
	void aGivenTokenIsLookedUpForItsTtlAndNotRevokedOnShutdown() throws Exception {
		this.lookupAnswers.countDown();
		VaultTokenManager tokens = manager(new TokenAuthentication("s.given"));
		assertThat(tokens.getSessionToken().getToken()).isEqualTo("s.given");
		tokens.lookedUp().get(10, TimeUnit.SECONDS);
		assertThat(tokens.tokenTimeToLive()).contains(Duration.ofSeconds(600));
		assertThat(tokens.canLogIn()).isFalse();
		tokens.destroy();
		assertThat(this.requests).containsExactly("GET /v1/auth/token/lookup-self token=s.given");
		assertThat(this.restClientBuilt).isEmpty();
	}

	@Test
	void aGivenTokenThatCannotBeLookedUpIsStillUsedWithoutATtl() throws Exception {
		this.lookupStatus = 403;
		this.lookupAnswers.countDown();
		VaultTokenManager tokens = manager(new TokenAuthentication("s.given"));
		assertThat(tokens.getSessionToken().getToken()).isEqualTo("s.given");
		tokens.lookedUp().get(10, TimeUnit.SECONDS);
		assertThat(tokens.getSessionToken().getToken()).isEqualTo("s.given");
		assertThat(tokens.tokenTimeToLive()).isEmpty();
		tokens.destroy();
		assertThat(this.requests).containsExactly("GET /v1/auth/token/lookup-self token=s.given");
		assertThat(this.restClientBuilt).isEmpty();
	}

	@Test
	void aTokenMadeByALoginIsNotLookedUpAndIsRevokedOnShutdown() {
		ClientAuthentication login = () -> LoginToken.builder()
			.token("s.login")
			.leaseDuration(Duration.ofHours(1))
			.renewable(false)
			.build();
		VaultTokenManager tokens = manager(login);
		assertThat(tokens.getSessionToken().getToken()).isEqualTo("s.login");
		assertThat(tokens.tokenTimeToLive()).contains(Duration.ofHours(1));
		assertThat(this.restClientBuilt).isEmpty();
		tokens.destroy();
		assertThat(this.requests).containsExactly("POST /v1/auth/token/revoke-self token=s.login");
		assertThat(this.restClientBuilt).containsExactly(true);
	}

	@Test
	void aLoginTokenIsRevokedEvenAfterAGivenTokenWasUsedBefore() throws Exception {
		// The manager remembers where its current token came from, not where the first one did.
		VaultToken given = VaultToken.of("s.given");
		VaultToken[] next = { given, given,
				LoginToken.builder().token("s.login").leaseDuration(Duration.ofHours(1)).build() };
		int[] calls = { 0 };
		this.lookupAnswers.countDown();
		VaultTokenManager tokens = manager(() -> next[calls[0]++]);
		assertThat(tokens.getSessionToken().getToken()).isEqualTo("s.given");
		// Taken again once looked up: the second login answers the same token.
		tokens.lookedUp().get(10, TimeUnit.SECONDS);
		assertThat(calls[0]).isEqualTo(2);
		tokens.revoke();
		assertThat(tokens.getSessionToken().getToken()).isEqualTo("s.login");
		tokens.destroy();
		assertThat(this.requests).containsExactly("GET /v1/auth/token/lookup-self token=s.given",
				"POST /v1/auth/token/revoke-self token=s.login");
	}

	private static void await(CountDownLatch latch) {
		try {
			latch.await(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private VaultTokenManager manager(ClientAuthentication authentication) {
		URI address = URI.create("http://127.0.0.1:" + this.server.getAddress().getPort());
		SimpleClientHttpRequestFactory requests = new SimpleClientHttpRequestFactory();
		return new VaultTokenManager(authentication, new VaultHttp(requests, address, null),
				VaultRestClients.lazy(() -> {
					this.restClientBuilt.add(true);
					return VaultRestClients.create(requests, address, null);
				}), Clock.fixed(NOW, ZoneOffset.UTC));
	}

}
