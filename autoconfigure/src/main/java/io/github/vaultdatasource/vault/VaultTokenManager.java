package io.github.vaultdatasource.vault;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.core.log.LogMessage;
import org.springframework.http.HttpMethod;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import org.springframework.util.ObjectUtils;
import org.springframework.vault.authentication.ClientAuthentication;
import org.springframework.vault.authentication.LifecycleAwareSessionManager;
import org.springframework.vault.authentication.LoginToken;
import org.springframework.vault.authentication.TokenAuthentication;
import org.springframework.vault.authentication.event.AfterLoginEvent;
import org.springframework.vault.authentication.event.AfterLoginTokenRenewedEvent;
import org.springframework.vault.support.VaultResponse;
import org.springframework.vault.support.VaultToken;
import org.springframework.web.client.RestClient;

/**
 * Spring Vault's {@link LifecycleAwareSessionManager} with a private scheduler, so the library
 * never publishes a {@code TaskScheduler} bean, and with the hooks the lease lifecycle needs: it
 * can drop a token that Vault no longer accepts, and it tells listeners when a new login replaced
 * the token (the old token's leases die with it). A token given to the application (a static
 * token or a token file) is used at once and looked up for its TTL ({@code auth/token/lookup-self})
 * in the background, with {@link VaultHttp} rather than the {@code RestClient} Spring Vault would
 * use: the first request to Vault does not wait for the look-up, and a start with such a token
 * sends no request through a {@code RestClient}. Once Vault has answered, the manager takes the
 * token again with its TTL, as after a login, so that a renewable token is renewed.
 */
public class VaultTokenManager extends LifecycleAwareSessionManager {

	private static final Log logger = LogFactory.getLog(VaultTokenManager.class);

	private final ThreadPoolTaskScheduler scheduler;

	private final ClientAuthentication authentication;

	private final SelfLookup lookup;

	private final VaultHttp http;

	private final boolean canLogIn;

	private final Clock clock;

	private final AtomicLong logins = new AtomicLong();

	// The token of the last login, to tell a new token from the same one taken again.
	private volatile @Nullable String loggedInWith;

	// The latest background look-up of a given token.
	private volatile CompletableFuture<Void> lookedUp = CompletableFuture.completedFuture(null);

	private final CopyOnWriteArrayList<Runnable> reloginListeners = new CopyOnWriteArrayList<>();

	private volatile @Nullable Instant tokenExpiresAt;

	private volatile boolean revokeOnDestroy = true;

	/**
	 * Create a manager.
	 * @param authentication how to log in, or the token to use
	 * @param http the client that looks a given token up
	 * @param restClient the client Spring Vault renews and revokes a login token with; it can be
	 * one that is built on first use ({@link VaultRestClients#lazy})
	 * @param clock the clock
	 */
	public VaultTokenManager(ClientAuthentication authentication, VaultHttp http, RestClient restClient,
			Clock clock) {
		this(new SelfLookup(authentication, http), http, restClient, clock, createScheduler());
	}

	private VaultTokenManager(SelfLookup lookup, VaultHttp http, RestClient restClient, Clock clock,
			ThreadPoolTaskScheduler scheduler) {
		super(lookup, scheduler, restClient);
		this.authentication = lookup.authentication;
		this.lookup = lookup;
		this.http = http;
		this.scheduler = scheduler;
		this.clock = clock;
		this.canLogIn = !(this.authentication instanceof TokenAuthentication);
		lookup.whenGiven = this::lookUpInBackground;
		addAuthenticationListener((event) -> {
			if (event instanceof AfterLoginEvent) {
				recordTokenLifetime(event.getSource());
				String previous = this.loggedInWith;
				this.loggedInWith = event.getSource().getToken();
				// The same token taken again (with its TTL, once looked up) replaces nothing.
				if (this.logins.incrementAndGet() > 1 && !ObjectUtils.nullSafeEquals(previous, this.loggedInWith)) {
					this.reloginListeners.forEach(Runnable::run);
				}
			}
			else if (event instanceof AfterLoginTokenRenewedEvent) {
				recordTokenLifetime(event.getSource());
			}
		});
	}

	/**
	 * Return the client this manager looks a given token up with: Vault's address, nodes, TLS and
	 * namespace. Other requests to the same Vault can use it with this manager's token, rather than
	 * building a client of their own.
	 * @return the client
	 */
	public VaultHttp http() {
		return this.http;
	}

	// Spring Vault's own look-up goes through the RestClient; SelfLookup has done it already.
	@Override
	protected boolean isTokenSelfLookupEnabled() {
		return false;
	}

	// A looked-up token was given to the application, not made by a login: as Spring Vault does
	// with the tokens it looks up, it is left alone rather than revoked.
	@Override
	protected void revoke(VaultToken token) {
		if (!this.lookup.lastTokenWasGiven) {
			super.revoke(token);
		}
	}

	// On the token thread: look the given token up, and when Vault answered and the token is still
	// the one in use, take it again, now with its TTL, through Spring Vault's login path (which
	// schedules its renewal when it is renewable). The look-up itself is not repeated.
	private void lookUpInBackground(VaultToken given) {
		CompletableFuture<Void> done = new CompletableFuture<>();
		this.lookedUp = done;
		try {
			this.scheduler.execute(() -> {
				try {
					if (this.lookup.lookUp(given) instanceof LoginToken found && isCurrent(given)) {
						this.lookup.found = found;
						setToken(Optional.empty());
						super.getSessionToken();
					}
				}
				catch (RuntimeException ex) {
					logger.debug("Taking the looked-up Vault token failed", ex);
				}
				finally {
					done.complete(null);
				}
			});
		}
		catch (RejectedExecutionException ex) {
			// Shutting down.
			done.complete(null);
		}
	}

	private boolean isCurrent(VaultToken token) {
		return getToken().map((current) -> current.getToken().getToken().equals(token.getToken())).orElse(false);
	}

	/**
	 * Return when the latest background look-up of a given token has ended (answered or failed).
	 * @return the look-up's completion
	 */
	CompletableFuture<Void> lookedUp() {
		return this.lookedUp;
	}

	private static ThreadPoolTaskScheduler createScheduler() {
		ThreadPoolTaskScheduler scheduler = new ThreadPoolTaskScheduler();
		scheduler.setThreadNamePrefix("vault-datasource-token-");
		scheduler.setDaemon(true);
		scheduler.setPoolSize(1);
		scheduler.initialize();
		return scheduler;
	}

	private void recordTokenLifetime(VaultToken token) {
		if (token instanceof LoginToken loginToken && !loginToken.getLeaseDuration().isZero()) {
			this.tokenExpiresAt = this.clock.instant().plus(loginToken.getLeaseDuration());
		}
		else {
			this.tokenExpiresAt = null;
		}
	}

	/**
	 * Return the token, logging in first when there is none. With a token file, a different token
	 * written by the agent replaces the current one here, as a new login does (the leases of the old
	 * token end with it, so the listeners rotate them).
	 * @return the token
	 */
	@Override
	public VaultToken getSessionToken() {
		if (this.authentication instanceof TokenFileAuthentication file && file.changedSinceLogin()) {
			setToken(Optional.empty());
		}
		return super.getSessionToken();
	}

	/**
	 * Whether a new token can be obtained by logging in again (AppRole, Kubernetes, JWT, TLS
	 * certificate, or re-reading a token file), as opposed to a static token.
	 * @return whether a re-login is possible
	 */
	public boolean canLogIn() {
		return this.canLogIn;
	}

	/**
	 * Register a callback run when a login replaced an earlier token.
	 * @param listener the callback
	 */
	public void onRelogin(Runnable listener) {
		this.reloginListeners.add(listener);
	}

	/**
	 * Forget the current token without revoking it, so the next request logs in again. Used when
	 * Vault rejected the token (revoked or expired behind our back).
	 * @return whether a new login will happen
	 */
	public boolean invalidate() {
		if (!this.canLogIn) {
			return false;
		}
		setToken(Optional.empty());
		return true;
	}

	/**
	 * Return the time the current login token has left, when known.
	 * @return the remaining time to live, empty for a token without expiry or before login
	 */
	public Optional<Duration> tokenTimeToLive() {
		Instant expiresAt = this.tokenExpiresAt;
		return (expiresAt != null) ? Optional.of(Duration.between(this.clock.instant(), expiresAt))
				: Optional.empty();
	}

	/**
	 * Set whether {@link #destroy()} revokes a token this manager logged in for. Vault revokes the
	 * leases a token created together with the token, so an application that leaves its leases to
	 * expire on shutdown ({@code vault.lease.revoke-on-shutdown=false}) must leave its login token
	 * alone too; it then expires at the end of its own TTL.
	 * @param revokeOnDestroy whether to revoke the login token on shutdown (default {@code true})
	 */
	public void setRevokeOnDestroy(boolean revokeOnDestroy) {
		this.revokeOnDestroy = revokeOnDestroy;
	}

	@Override
	public void destroy() {
		try {
			if (this.revokeOnDestroy) {
				super.destroy();
			}
			else {
				setToken(Optional.empty());
			}
		}
		finally {
			this.scheduler.shutdown();
		}
	}

	/**
	 * The login. A token that was given rather than made by a login is answered at once and handed
	 * to {@link #whenGiven}, which looks it up ({@code auth/token/lookup-self}) in the background;
	 * once {@link #found}, the same token is answered with its TTL and whether it is renewable.
	 */
	private static final class SelfLookup implements ClientAuthentication {

		private final ClientAuthentication authentication;

		private final VaultHttp http;

		private volatile boolean lastTokenWasGiven;

		private volatile @Nullable LoginToken found;

		private volatile Consumer<VaultToken> whenGiven = (token) -> {
		};

		SelfLookup(ClientAuthentication authentication, VaultHttp http) {
			this.authentication = authentication;
			this.http = http;
		}

		@Override
		public VaultToken login() {
			VaultToken token = this.authentication.login();
			this.lastTokenWasGiven = !(token instanceof LoginToken);
			if (!this.lastTokenWasGiven) {
				return token;
			}
			LoginToken known = this.found;
			if (known != null && known.getToken().equals(token.getToken())) {
				return known;
			}
			this.whenGiven.accept(token);
			return token;
		}

		// As Spring Vault's look-up: a token that cannot be looked up is still used, without a TTL.
		private VaultToken lookUp(VaultToken token) {
			String problem;
			try {
				VaultHttp.Answer answer = this.http.send(HttpMethod.GET, "auth/token/lookup-self", token.getToken(),
						null);
				VaultResponse response = answer.isError() ? null : answer.response();
				Map<String, Object> data = (response != null) ? response.getData() : null;
				if (data != null) {
					return loginToken(token, data);
				}
				problem = "Vault answered " + answer.status()
						+ (answer.isError() ? ": " + VaultErrors.messages(answer.body()) : " without data");
			}
			catch (IOException | IllegalArgumentException ex) {
				problem = ex.getMessage();
			}
			String reason = problem;
			logger.warn(LogMessage.of(() -> "Cannot look up the Vault token (auth/token/lookup-self), so its TTL is "
					+ "unknown and it is not renewed: " + reason));
			return token;
		}

		private static LoginToken loginToken(VaultToken token, Map<String, Object> data) {
			LoginToken.LoginTokenBuilder builder = LoginToken.builder().token(token.toCharArray());
			Object ttl = (data.get("lease_duration") != null) ? data.get("lease_duration") : data.get("ttl");
			if (ttl instanceof Number seconds) {
				builder.leaseDuration(Duration.ofSeconds(seconds.longValue()));
			}
			if (data.get("renewable") instanceof Boolean renewable) {
				builder.renewable(renewable);
			}
			if (data.get("accessor") instanceof String accessor && !accessor.isEmpty()) {
				builder.accessor(accessor);
			}
			Object type = (data.get("type") != null) ? data.get("type") : data.get("token_type");
			if (type instanceof String name && !name.isEmpty()) {
				builder.type(name);
			}
			return builder.build();
		}

	}

}
