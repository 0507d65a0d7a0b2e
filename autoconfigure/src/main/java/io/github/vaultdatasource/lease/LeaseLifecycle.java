package io.github.vaultdatasource.lease;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.FailureKind;
import io.github.vaultdatasource.RotationReason;
import io.github.vaultdatasource.event.CredentialsIssuedEvent;
import io.github.vaultdatasource.event.CredentialsRotatedEvent;
import io.github.vaultdatasource.event.LeaseFailureEvent;
import io.github.vaultdatasource.event.LeaseRenewedEvent;
import io.github.vaultdatasource.event.LeaseRevokedEvent;
import io.github.vaultdatasource.event.VaultDataSourceEvent;
import io.github.vaultdatasource.lease.CredentialsTarget.SwitchReport;
import io.github.vaultdatasource.lease.LeaseScheduler.Cancellable;
import io.github.vaultdatasource.lease.LeaseStatus.State;
import io.github.vaultdatasource.vault.DatabaseSecretsClient;
import io.github.vaultdatasource.vault.DatabaseSecretsClient.LeaseRenewal;
import io.github.vaultdatasource.vault.VaultRequestException;
import io.github.vaultdatasource.vault.VaultRequestException.Failure;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.context.ApplicationEventPublisher;

/**
 * The lifecycle of one data source's Vault lease: issues credentials, renews the lease, rotates to
 * new credentials before {@code max_ttl} (validate, switch, drain, revoke), retries failures with
 * backoff while the current credentials stay in use, and revokes on shutdown.
 * <p>
 * All work runs on the lease's own {@link LeaseScheduler}, one task at a time, so the state needs
 * no locking; other threads only read volatile snapshots or submit requests.
 */
public final class LeaseLifecycle {

	private static final Log logger = LogFactory.getLog(LeaseLifecycle.class);

	private static final Duration REJECTION_CHECK_INTERVAL = Duration.ofSeconds(2);

	private static final Duration GONE_DRAIN_BUDGET = Duration.ofSeconds(2);

	private final String name;

	private final String role;

	private final DatabaseSecretsClient client;

	private final CredentialsTarget target;

	private final LeaseScheduler scheduler;

	private final Clock clock;

	private final LeasePolicy policy;

	private final ApplicationEventPublisher events;

	private final TokenSupport tokens;

	private volatile @Nullable CredentialLease lease;

	private volatile Duration issuedTtl = Duration.ZERO;

	private volatile boolean knownGone;

	private volatile boolean stopped;

	private volatile @Nullable Instant lastRenewal;

	private volatile @Nullable Instant lastRotation;

	private volatile int consecutiveFailures;

	private volatile @Nullable String lastFailure;

	private volatile NextAction nextAction = NextAction.NONE;

	private volatile @Nullable Instant nextActionAt;

	private final AtomicLong renewals = new AtomicLong();

	private final AtomicLong rotations = new AtomicLong();

	private final AtomicLong failures = new AtomicLong();

	private final AtomicLong revocations = new AtomicLong();

	private final AtomicReference<Instant> lastRejectionCheck = new AtomicReference<>(Instant.EPOCH);

	private @Nullable Cancellable pending;

	public LeaseLifecycle(String name, String role, DatabaseSecretsClient client, CredentialsTarget target,
			LeaseScheduler scheduler, Clock clock, LeasePolicy policy, ApplicationEventPublisher events,
			TokenSupport tokens) {
		this.name = name;
		this.role = role;
		this.client = client;
		this.target = target;
		this.scheduler = scheduler;
		this.clock = clock;
		this.policy = policy;
		this.events = events;
		this.tokens = tokens;
	}

	/**
	 * Issue the first credentials, hand them to the pool and schedule the first renewal. Runs on the
	 * caller's thread so that a Vault problem stops the application's startup.
	 * @throws VaultRequestException when Vault cannot issue credentials
	 */
	public void start() {
		Instant started = this.clock.instant();
		CredentialLease issued = this.client.issue();
		Duration latency = Duration.between(started, this.clock.instant());
		this.target.install(issued.credentials());
		this.lease = issued;
		this.issuedTtl = issued.ttl();
		publish(new CredentialsIssuedEvent(this, this.name, issued.username(), issued.shortLeaseId(),
				this.clock.instant(), issued.ttl(), latency));
		logger.info(String.format("Vault issued database credentials for data source '%s': role '%s', user '%s', "
				+ "lease %s, ttl %ss", this.name, this.role, issued.username(), issued.shortLeaseId(),
				issued.ttl().toSeconds()));
		this.scheduler.schedule(this::scheduleAfterIssue, Duration.ZERO);
	}

	/**
	 * Ask for an immediate rotation, for example from an operator who suspects a leak.
	 * @param reason why
	 */
	public void rotateNow(RotationReason reason) {
		if (this.stopped) {
			return;
		}
		Instant requestedAt = this.clock.instant();
		this.scheduler.schedule(() -> {
			CredentialLease current = this.lease;
			if (current != null && current.issuedAt().isAfter(requestedAt)) {
				// Credentials were issued since the request (say, by the rotation whose login caused it).
				return;
			}
			cancelPending();
			rotate(reason);
		}, Duration.ZERO);
	}

	/**
	 * Report that the database rejected credentials: SQLState 28P01 (login failed) or 42501
	 * (permission denied). A login failure for the current user rotates at once; a permission error
	 * first asks Vault whether the lease still exists, since it may be an ordinary application
	 * error. Reports are rate-limited.
	 * @param username the user whose connection failed
	 * @param sqlState the SQLState
	 */
	public void credentialsRejected(String username, String sqlState) {
		CredentialLease current = this.lease;
		if (this.stopped || current == null || !current.username().equals(username)) {
			return;
		}
		Instant now = this.clock.instant();
		Instant last = this.lastRejectionCheck.get();
		if (Duration.between(last, now).compareTo(REJECTION_CHECK_INTERVAL) < 0
				|| !this.lastRejectionCheck.compareAndSet(last, now)) {
			return;
		}
		logger.warn(String.format("Database rejected user '%s' of data source '%s' (SQLState %s); checking lease %s",
				username, this.name, sqlState, current.shortLeaseId()));
		this.scheduler.schedule(() -> checkRejected(current, sqlState), Duration.ZERO);
	}

	private void checkRejected(CredentialLease rejected, String sqlState) {
		CredentialLease current = this.lease;
		// A renewal replaces the lease object but not the credentials: only a new lease makes the report stale.
		if (current == null || !current.leaseId().equals(rejected.leaseId()) || this.stopped) {
			return;
		}
		if ("28P01".equals(sqlState)) {
			cancelPending();
			rotate(RotationReason.CREDENTIALS_REJECTED);
			return;
		}
		try {
			this.client.renew(rejected, this.issuedTtl);
			logger.debug("Lease still valid after a permission error; treating it as an application error");
		}
		catch (VaultRequestException ex) {
			if (ex.getFailure() == Failure.LEASE_GONE || ex.getFailure() == Failure.PERMISSION_DENIED) {
				cancelPending();
				handleLeaseGone(ex);
			}
		}
	}

	/**
	 * Stop scheduling and, if asked, revoke the current lease synchronously. The caller closes the
	 * pool before revoking.
	 * @param poolCloser closes the pool, run before the revocation
	 * @param revoke whether to revoke the lease
	 */
	public void stop(Runnable poolCloser, boolean revoke) {
		this.stopped = true;
		this.nextAction = NextAction.NONE;
		this.nextActionAt = null;
		this.scheduler.close();
		poolCloser.run();
		CredentialLease current = this.lease;
		if (revoke && current != null) {
			try {
				this.client.revoke(current);
				this.revocations.incrementAndGet();
				logger.info(String.format("Revoked lease %s of user '%s' (data source '%s') on shutdown",
						current.shortLeaseId(), current.username(), this.name));
				publish(new LeaseRevokedEvent(this, this.name, current.username(), current.shortLeaseId(),
						this.clock.instant(), true));
			}
			catch (VaultRequestException ex) {
				logger.warn(String.format("Could not revoke lease %s of user '%s' on shutdown: %s; Vault revokes it "
						+ "when it expires at %s", current.shortLeaseId(), current.username(), ex.getMessage(),
						current.expiresAt()));
			}
		}
	}

	/**
	 * Return a snapshot of this lease's state.
	 * @return the status
	 */
	public LeaseStatus status() {
		CredentialLease current = this.lease;
		Instant now = this.clock.instant();
		State state;
		if (this.stopped) {
			state = State.STOPPED;
		}
		else if (current == null) {
			state = State.STARTING;
		}
		else if (this.knownGone) {
			state = State.REVOKED;
		}
		else if (!current.expiresAt().isAfter(now)) {
			state = State.EXPIRED;
		}
		else if (this.consecutiveFailures > 0) {
			state = State.FAILING;
		}
		else {
			state = State.ACTIVE;
		}
		return new LeaseStatus(this.name, this.role, state, (current != null) ? current.username() : null,
				(current != null) ? current.shortLeaseId() : null, (current != null) ? current.issuedAt() : null,
				(current != null) ? current.expiresAt() : null, (current != null) ? current.remaining(now) : null,
				current != null && current.renewable(), this.lastRenewal, this.lastRotation,
				this.consecutiveFailures, this.lastFailure, this.nextAction, this.nextActionAt, this.renewals.get(),
				this.rotations.get(), this.failures.get(), this.revocations.get());
	}

	/**
	 * Return the name of the managed data source.
	 * @return the name
	 */
	public String name() {
		return this.name;
	}

	/**
	 * Return the current lease, for the library's own parts; never expose its lease id or password.
	 * @return the lease, {@code null} before start
	 */
	public @Nullable CredentialLease currentLease() {
		return this.lease;
	}

	private void scheduleAfterIssue() {
		CredentialLease current = this.lease;
		if (current == null) {
			return;
		}
		if (current.renewable()) {
			// Counted from when Vault granted the lease, not from now: a rotation's drain and revoke
			// may already have used a good part of a short lease.
			Instant granted = current.expiresAt().minus(current.ttl());
			Instant at = granted.plus(this.policy.renewDelay(current.ttl()));
			Instant now = this.clock.instant();
			scheduleRenewal(at.isBefore(now) ? now : at);
		}
		else {
			scheduleRotation(this.policy.rotateAt(current, this.issuedTtl), RotationReason.NOT_RENEWABLE);
		}
	}

	private void scheduleRenewal(Instant at) {
		scheduleAt(NextAction.RENEW, at, this::renew);
	}

	private void scheduleRotation(Instant at, RotationReason reason) {
		scheduleAt(NextAction.ROTATE, at, () -> rotate(reason));
	}

	private void scheduleAt(NextAction action, Instant at, Runnable task) {
		if (this.stopped) {
			return;
		}
		cancelPending();
		this.nextAction = action;
		this.nextActionAt = at;
		this.pending = this.scheduler.schedule(task, Duration.between(this.clock.instant(), at));
	}

	private void cancelPending() {
		Cancellable task = this.pending;
		if (task != null) {
			task.cancel();
			this.pending = null;
		}
	}

	private void renew() {
		CredentialLease current = this.lease;
		if (current == null || this.stopped) {
			return;
		}
		try {
			LeaseRenewal renewal = this.client.renew(current, this.issuedTtl);
			Instant now = this.clock.instant();
			CredentialLease renewed = current.renewed(now, renewal.granted(), renewal.renewable());
			this.lease = renewed;
			this.lastRenewal = now;
			this.renewals.incrementAndGet();
			succeeded();
			if (logger.isDebugEnabled()) {
				logger.debug(String.format("Renewed lease %s of user '%s' for %ss%s", renewed.shortLeaseId(),
						renewed.username(), renewal.granted().toSeconds(), renewal.capped() ? " (capped by max_ttl)" : ""));
			}
			publish(new LeaseRenewedEvent(this, this.name, renewed.username(), renewed.shortLeaseId(), now,
					renewal.granted(), renewal.capped()));
			if (renewal.capped()) {
				scheduleRotation(this.policy.rotateAt(renewed, this.issuedTtl), RotationReason.MAX_TTL);
			}
			else if (!renewal.renewable()) {
				scheduleRotation(this.policy.rotateAt(renewed, this.issuedTtl), RotationReason.NOT_RENEWABLE);
			}
			else {
				scheduleRenewal(now.plus(this.policy.renewDelay(renewal.granted())));
			}
		}
		catch (VaultRequestException ex) {
			failed(FailureKind.RENEWAL, current, ex.getMessage(), null);
			switch (ex.getFailure()) {
				case LEASE_GONE, PERMISSION_DENIED -> handleLeaseGone(ex);
				default -> scheduleRetry(NextAction.RENEW, current, RotationReason.RENEWAL_FAILING);
			}
		}
		catch (RuntimeException ex) {
			// Anything unexpected is retried too: an exception that escaped would end renewals for good.
			failed(FailureKind.RENEWAL, current, ex.toString(), null);
			scheduleRetry(NextAction.RENEW, current, RotationReason.RENEWAL_FAILING);
		}
	}

	private void handleLeaseGone(VaultRequestException ex) {
		if (ex.getFailure() == Failure.PERMISSION_DENIED) {
			// The token was revoked or expired behind our back: its leases went with it.
			if (!this.tokens.invalidate()) {
				scheduleRetry(NextAction.RENEW, this.lease, RotationReason.RENEWAL_FAILING);
				return;
			}
		}
		this.knownGone = true;
		rotate(RotationReason.LEASE_GONE);
	}

	private void rotate(RotationReason reason) {
		CredentialLease previous = this.lease;
		if (previous == null || this.stopped) {
			return;
		}
		Instant started = this.clock.instant();
		CredentialLease next;
		try {
			next = this.client.issue();
		}
		catch (VaultRequestException ex) {
			failed(FailureKind.ISSUE, previous, ex.getMessage(), reason);
			if (ex.getFailure() == Failure.PERMISSION_DENIED) {
				this.tokens.invalidate();
			}
			scheduleRetry(NextAction.ROTATE, previous, reason);
			return;
		}
		catch (RuntimeException ex) {
			failed(FailureKind.ISSUE, previous, ex.toString(), reason);
			scheduleRetry(NextAction.ROTATE, previous, reason);
			return;
		}
		try {
			this.target.validate(next.credentials());
		}
		catch (Exception ex) {
			failed(FailureKind.VALIDATION, previous,
					"database did not accept new user '" + next.username() + "': " + ex.getMessage(), reason);
			revokeQuietly(next);
			scheduleRetry(NextAction.ROTATE, previous, reason);
			return;
		}
		Instant issued = this.clock.instant();
		publish(new CredentialsIssuedEvent(this, this.name, next.username(), next.shortLeaseId(), issued, next.ttl(),
				Duration.between(started, issued)));
		Instant deadline = drainDeadline(previous, issued);
		this.lease = next;
		this.issuedTtl = next.ttl();
		this.knownGone = false;
		SwitchReport report;
		boolean switched = true;
		try {
			report = this.target.switchTo(next.credentials(), previous.credentials(), deadline);
		}
		catch (RuntimeException ex) {
			// New logins must use the new user; the old lease is left to expire rather than revoked
			// under connections that may still use it.
			logger.warn(String.format("Switching data source '%s' from user '%s' to '%s' failed; lease %s is left "
					+ "to expire at %s", this.name, previous.username(), next.username(), previous.shortLeaseId(),
					previous.expiresAt()), ex);
			this.target.install(next.credentials());
			report = new SwitchReport(0, 0, 0, 0);
			switched = false;
		}
		Instant drained = this.clock.instant();
		boolean revoked = switched && revokeQuietly(previous);
		Instant finished = this.clock.instant();
		this.lastRotation = finished;
		this.rotations.incrementAndGet();
		succeeded();
		if (report.oldConnectionsLeft() > 0) {
			logger.warn(String.format("Data source '%s': %d connection(s) of old user '%s' still open at the drain "
					+ "deadline", this.name, report.oldConnectionsLeft(), previous.username()));
		}
		logger.info(String.format("Rotated data source '%s' (%s): user '%s' -> '%s', lease %s -> %s; issue %dms, "
				+ "switch %dms, drain %dms, revoke %dms%s", this.name, reason, previous.username(), next.username(),
				previous.shortLeaseId(), next.shortLeaseId(), Duration.between(started, issued).toMillis(),
				report.switchMillis(), report.drainMillis(), Duration.between(drained, finished).toMillis(),
				revoked ? "" : " (old lease not revoked)"));
		publish(new CredentialsRotatedEvent(this, this.name, next.username(), next.shortLeaseId(), finished,
				previous.username(), reason, Duration.between(started, issued), Duration.ofMillis(report.switchMillis()),
				Duration.ofMillis(report.drainMillis()), Duration.between(drained, finished),
				report.oldConnectionsLeft()));
		scheduleAfterIssue();
	}

	private Instant drainDeadline(CredentialLease previous, Instant now) {
		if (this.knownGone || !previous.expiresAt().isAfter(now)) {
			return now.plus(GONE_DRAIN_BUDGET);
		}
		// Leave a tenth of the remaining time to revoke before Vault expires the lease itself.
		Duration remaining = previous.remaining(now);
		return now.plus(remaining.minus(remaining.dividedBy(10)));
	}

	private boolean revokeQuietly(CredentialLease old) {
		try {
			this.client.revoke(old);
			this.revocations.incrementAndGet();
			publish(new LeaseRevokedEvent(this, this.name, old.username(), old.shortLeaseId(), this.clock.instant(),
					false));
			return true;
		}
		catch (VaultRequestException ex) {
			if (ex.getFailure() == Failure.LEASE_GONE) {
				return true;
			}
			failed(FailureKind.REVOCATION, old, ex.getMessage(), null);
			return false;
		}
	}

	private void scheduleRetry(NextAction action, @Nullable CredentialLease current, RotationReason reason) {
		Instant now = this.clock.instant();
		Duration remaining = (current != null) ? current.remaining(now) : Duration.ZERO;
		Instant at = now.plus(this.policy.retryDelay(this.consecutiveFailures, remaining));
		boolean drainBudgetReached = current != null && !at.isBefore(this.policy.rotateAt(current, this.issuedTtl));
		if (action == NextAction.RENEW && !this.knownGone && !drainBudgetReached) {
			scheduleRenewal(at);
		}
		else {
			// Renewal keeps failing into the drain budget, or rotation failed: new credentials are the way out.
			scheduleRotation(at, (action == NextAction.RENEW) ? RotationReason.RENEWAL_FAILING : reason);
		}
	}

	private void succeeded() {
		this.consecutiveFailures = 0;
		this.lastFailure = null;
	}

	private void failed(FailureKind kind, CredentialLease current, String message,
			@Nullable RotationReason rotationReason) {
		int count = ++this.consecutiveFailures;
		this.failures.incrementAndGet();
		this.lastFailure = kind + ": " + message;
		logger.warn(String.format("%s failed for data source '%s' (user '%s', lease %s, attempt %d): %s; the current "
				+ "credentials stay in use until %s", kind, this.name, current.username(), current.shortLeaseId(), count,
				message, current.expiresAt()));
		publish(new LeaseFailureEvent(this, this.name, current.username(), current.shortLeaseId(), this.clock.instant(),
				kind, message, count, rotationReason));
	}

	private void publish(VaultDataSourceEvent event) {
		try {
			this.events.publishEvent(event);
		}
		catch (RuntimeException ex) {
			logger.warn("A listener failed on " + event.getClass().getSimpleName(), ex);
		}
	}

	/**
	 * What the lifecycle needs of the Vault token.
	 */
	@FunctionalInterface
	public interface TokenSupport {

		/**
		 * Drop a token Vault no longer accepts so that the next request logs in again.
		 * @return whether a new login will happen; {@code false} for a static token
		 */
		boolean invalidate();

	}

}
