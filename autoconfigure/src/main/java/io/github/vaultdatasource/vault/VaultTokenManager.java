package io.github.vaultdatasource.vault;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;

import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import org.springframework.vault.authentication.ClientAuthentication;
import org.springframework.vault.authentication.LifecycleAwareSessionManager;
import org.springframework.vault.authentication.LoginToken;
import org.springframework.vault.authentication.TokenAuthentication;
import org.springframework.vault.authentication.event.AfterLoginEvent;
import org.springframework.vault.authentication.event.AfterLoginTokenRenewedEvent;
import org.springframework.vault.support.VaultToken;
import org.springframework.web.client.RestClient;

/**
 * Spring Vault's {@link LifecycleAwareSessionManager} with a private scheduler, so the library
 * never publishes a {@code TaskScheduler} bean, and with the hooks the lease lifecycle needs: it
 * can drop a token that Vault no longer accepts, and it tells listeners when a new login replaced
 * the token (the old token's leases die with it).
 */
public class VaultTokenManager extends LifecycleAwareSessionManager {

	private final ThreadPoolTaskScheduler scheduler;

	private final ClientAuthentication authentication;

	private final RestClient restClient;

	private final boolean canLogIn;

	private final Clock clock;

	private final AtomicLong logins = new AtomicLong();

	private final CopyOnWriteArrayList<Runnable> reloginListeners = new CopyOnWriteArrayList<>();

	private volatile @Nullable Instant tokenExpiresAt;

	private volatile boolean revokeOnDestroy = true;

	public VaultTokenManager(ClientAuthentication authentication, RestClient restClient, Clock clock) {
		this(authentication, restClient, clock, createScheduler());
	}

	private VaultTokenManager(ClientAuthentication authentication, RestClient restClient, Clock clock,
			ThreadPoolTaskScheduler scheduler) {
		super(authentication, scheduler, restClient);
		this.authentication = authentication;
		this.restClient = restClient;
		this.scheduler = scheduler;
		this.clock = clock;
		this.canLogIn = !(authentication instanceof TokenAuthentication);
		addAuthenticationListener((event) -> {
			if (event instanceof AfterLoginEvent) {
				recordTokenLifetime(event.getSource());
				if (this.logins.incrementAndGet() > 1) {
					this.reloginListeners.forEach(Runnable::run);
				}
			}
			else if (event instanceof AfterLoginTokenRenewedEvent) {
				recordTokenLifetime(event.getSource());
			}
		});
	}

	/**
	 * Return the client this manager looks up and renews its token with: Vault's address, nodes,
	 * TLS and namespace, without a token. Other requests to the same Vault can use it with
	 * {@link VaultRestClients#withSession}, rather than building a client of their own.
	 * @return the client
	 */
	public RestClient restClient() {
		return this.restClient;
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

}
