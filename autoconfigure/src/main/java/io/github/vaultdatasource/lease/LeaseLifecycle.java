package io.github.vaultdatasource.lease;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.DatabaseCredentials;
import io.github.vaultdatasource.FailureKind;
import io.github.vaultdatasource.RevocationTrigger;
import io.github.vaultdatasource.RotationReason;
import io.github.vaultdatasource.event.CredentialsIssuedEvent;
import io.github.vaultdatasource.event.CredentialsRotatedEvent;
import io.github.vaultdatasource.event.CredentialsRotatedEvent.Timings;
import io.github.vaultdatasource.event.LeaseFailureEvent;
import io.github.vaultdatasource.event.LeaseRenewedEvent;
import io.github.vaultdatasource.event.LeaseRevokedEvent;
import io.github.vaultdatasource.event.VaultDataSourceEvent;
import io.github.vaultdatasource.lease.CredentialsTarget.Retirement;
import io.github.vaultdatasource.lease.CredentialsTarget.RetirementReport;
import io.github.vaultdatasource.lease.LeaseCounters.RenewalOutcome;
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
 * The lifecycle of one data source's Vault leases: issues credentials, renews the lease, rotates
 * to new credentials before the lease ends (issue, validate, switch, then drain and revoke the
 * old lease), retries failures while the current credentials stay in use, and revokes every lease
 * it holds on shutdown.
 * <p>
 * Work runs on two {@link LeaseScheduler strands}. The <em>main</em> strand owns the current
 * lease: renewals, and a rotation's issue, validation and switch. Once the pool uses the new
 * credentials, the new lease's renewal is planned at once and the old lease moves to the
 * <em>retire</em> strand, which drains its connections in short steps and revokes it; a slow drain
 * or revocation therefore never delays a renewal. Every step of the main strand ends with exactly
 * one next action planned; if it cannot plan one, the lifecycle reports itself {@code FAILED}
 * instead of going quiet.
 * <p>
 * Lease times count from when a request was sent: Vault counts from when it handled the request,
 * which is never earlier.
 */
public final class LeaseLifecycle {

	private static final Log logger = LogFactory.getLog(LeaseLifecycle.class);

	/** How many first credentials {@link #start(boolean)} asks for when they expire before their check. */
	private static final int FIRST_ISSUE_ATTEMPTS = 3;

	private static final Duration DATABASE_CHECK_INTERVAL = Duration.ofSeconds(1);

	private static final Duration VAULT_CHECK_INTERVAL = Duration.ofSeconds(10);

	private static final Duration DEAD_DRAIN_BUDGET = Duration.ofSeconds(2);

	private static final Duration LEAST_DRAIN = Duration.ofMillis(100);

	private static final Duration LEAST_MARGIN = Duration.ofMillis(50);

	private static final Duration ORPHAN_CHECK_DELAY = Duration.ofSeconds(2);

	private static final Duration STATIC_REREAD_DELAY = Duration.ofSeconds(1);

	private static final Duration LONGEST_MARGIN = Duration.ofSeconds(1);

	private static final double SMOOTHING = 0.3;

	private static final Set<String> REJECTIONS = Set.of("28P01", "28000", "42501");

	private final String name;

	private final String role;

	private final DatabaseSecretsClient client;

	private final CredentialsTarget target;

	private final LeaseScheduler main;

	private final LeaseScheduler retire;

	private final LeaseScheduler calls;

	private final LeaseScheduler revocations;

	private final LeaseScheduler newLease;

	private final Clock clock;

	private final LeasePolicy policy;

	private final ApplicationEventPublisher events;

	private final TokenSupport tokens;

	// A static role: one user whose password Vault rotates; nothing to renew or revoke, and the
	// sessions of the old password keep working after a rotation.
	private final boolean staticRole;

	private final LeaseCounters counters = new LeaseCounters();

	// Every lease this lifecycle must revoke, by lease id: whoever removes one revokes it.
	private final Map<String, CredentialLease> held = new ConcurrentHashMap<>();

	private final Map<String, RetiringLease> retiring = new ConcurrentHashMap<>();

	// Leases renewed on the retire strand while being rotated away from, by lease id.
	private final Map<String, CredentialLease> keptAlive = new ConcurrentHashMap<>();

	private final AtomicInteger consecutiveFailures = new AtomicInteger();

	private final AtomicReference<Instant> lastDatabaseCheck = new AtomicReference<>(Instant.EPOCH);

	private final AtomicReference<Instant> lastVaultCheck = new AtomicReference<>(Instant.EPOCH);

	private final AtomicReference<String> rejectionHandled = new AtomicReference<>("");

	// Written by the main strand (and start() before it runs anything), read by anyone.
	private volatile @Nullable CredentialLease lease;

	private volatile Duration issuedTtl = Duration.ZERO;

	private volatile long generation;

	private volatile @Nullable Instant endsAt;

	private volatile @Nullable Duration maxTtl;

	private volatile boolean currentDead;

	private volatile Phase phase = Phase.NEW;

	private volatile @Nullable String engineFailure;

	private volatile @Nullable String lastFailure;

	// When an issue last found the role or its mount missing: Vault restarted without its state, or
	// the role was deleted. A lease issued before may be unknown to Vault, whose revocation of an
	// unknown lease succeeds without dropping the user.
	private volatile @Nullable Instant roleMissingAt;

	private volatile @Nullable Instant lastRenewal;

	private volatile @Nullable Instant lastRotation;

	private volatile NextAction nextAction = NextAction.NONE;

	private volatile @Nullable Instant nextActionAt;

	private volatile Duration vaultLatency = Duration.ZERO;

	private volatile Duration rotationCost = Duration.ZERO;

	private volatile Duration validationLatency = Duration.ZERO;

	// Planning state: the main strand's, and start()'s before it runs anything; the lock keeps a
	// task that runs at once from racing the thread that planned it.
	private final Object planLock = new Object();

	private @Nullable Instant plannedRotation;

	// Whether a rotation was planned at a random phase (once per lifecycle).
	private boolean phaseTaken;

	private volatile @Nullable Planned pending;

	// Runs the checks that follow the start: by default on the calls strand, at once.
	private Consumer<Runnable> checksAfterStart;

	/**
	 * Create a lifecycle.
	 * @param name the data source bean name
	 * @param role the Vault role
	 * @param client issues, renews and revokes credentials
	 * @param target the pool
	 * @param strands where the lifecycle's work runs
	 * @param clock the clock
	 * @param policy the timing decisions
	 * @param events where to publish events
	 * @param tokens what the lifecycle needs of the Vault token
	 */
	public LeaseLifecycle(String name, String role, DatabaseSecretsClient client, CredentialsTarget target,
			Strands strands, Clock clock, LeasePolicy policy,
			ApplicationEventPublisher events, TokenSupport tokens) {
		this.name = name;
		this.role = role;
		this.client = client;
		this.target = target;
		this.main = strands.main();
		this.retire = strands.drain();
		this.calls = strands.calls();
		this.revocations = strands.revocations();
		this.newLease = strands.newLease();
		this.clock = clock;
		this.policy = policy;
		this.events = events;
		this.tokens = tokens;
		this.staticRole = client.isStatic();
		this.checksAfterStart = (checks) -> this.calls.schedule(checks, Duration.ZERO);
	}

	/**
	 * Issue the first credentials, check that the database accepts them, hand them to the pool and
	 * plan the first renewal. Runs on the caller's thread so that a Vault or database problem stops
	 * the application's startup.
	 * @throws VaultRequestException when Vault cannot issue credentials
	 * @throws CredentialsValidationException when the database does not accept them
	 */
	public void start() {
		start(true);
	}

	/**
	 * Like {@link #start()}, optionally without checking that the database accepts the first
	 * credentials (then a wrong database URL shows only when the pool first connects).
	 * @param validate whether to check the first credentials with one connection
	 * @throws VaultRequestException when Vault cannot issue credentials
	 * @throws CredentialsValidationException when the database does not accept them
	 */
	public void start(boolean validate) {
		start(validate, null);
	}

	/**
	 * Like {@link #start(boolean)}, beginning with credentials issued ahead of the pool (while the
	 * rest of the application started), so the pool does not wait for Vault's answer. They are
	 * checked and used like credentials issued now; when the database does not accept them, the
	 * same rules apply.
	 * @param validate whether to check the first credentials with one connection
	 * @param prefetched credentials issued from this lifecycle's client and not used by anything else,
	 * or {@code null} to issue them now
	 * @throws VaultRequestException when Vault cannot issue credentials
	 * @throws CredentialsValidationException when the database does not accept them
	 */
	public void start(boolean validate, @Nullable Prefetched prefetched) {
		if (this.phase != Phase.NEW) {
			throw new IllegalStateException("Lease lifecycle of '" + this.name + "' was started already");
		}
		CredentialLease issued;
		Duration latency;
		for (int attempt = 1;; attempt++) {
			Instant sent;
			if (attempt == 1 && prefetched != null) {
				issued = prefetched.lease();
				sent = issued.issuedAt();
				latency = prefetched.latency();
			}
			else {
				sent = this.clock.instant();
				issued = this.client.issue();
				latency = since(sent);
			}
			hold(issued);
			this.counters.issued(latency);
			observeVault(latency);
			if (!validate || validateFirst(issued, sent, attempt)) {
				break;
			}
		}
		this.target.install(issued.credentials());
		adopt(issued);
		this.phase = Phase.RUNNING;
		publish(new CredentialsIssuedEvent(this, this.name, issued.username(), issued.shortLeaseId(),
				this.clock.instant(), issued.ttl(), latency));
		logger.info(String.format("Vault issued database credentials for data source '%s': role '%s', user '%s', "
				+ "lease %s, ttl %ss", this.name, this.role, issued.username(), issued.shortLeaseId(),
				issued.ttl().toSeconds()));
		planNext();
		try {
			this.checksAfterStart.accept(() -> {
				if (this.phase == Phase.RUNNING) {
					checkRoleAndToken();
				}
			});
		}
		catch (RejectedExecutionException ex) {
			// Stopping.
		}
	}

	/**
	 * Have the checks that follow {@link #start} (whether the token may renew, revoke and issue, and
	 * the role's {@code max_ttl}: two Vault requests, for warnings and planning) run where and when
	 * {@code when} runs the task it is given, instead of on the calls strand right after the start.
	 * The registrar holds them until the application context is refreshed, so they do not compete
	 * with the rest of the application's startup for the CPU, and then runs every pool's on one
	 * strand, one after the other. Nothing waits for them: a capped renewal teaches the
	 * {@code max_ttl} as well. Call before {@link #start}.
	 * @param when runs the task it is given (blocking Vault requests), at once or later, on a thread
	 * of its own; it may throw {@link RejectedExecutionException} once the library is stopping
	 */
	public void runChecksAfterStart(Consumer<Runnable> when) {
		this.checksAfterStart = when;
	}

	/**
	 * Check the first credentials with one connection, which becomes the pool's first. A failure
	 * after the lease's own TTL had run out says nothing about the configuration (on a loaded
	 * machine a login can outlast a TTL of a few seconds, and Vault then ends the session it is
	 * opening): such credentials are replaced, up to {@value #FIRST_ISSUE_ATTEMPTS} times in all.
	 * @return true when the database accepted them, false to try new ones
	 * @throws CredentialsValidationException when the database does not accept them
	 */
	private boolean validateFirst(CredentialLease issued, Instant sent, int attempt) {
		Instant validating = this.clock.instant();
		try {
			this.target.prepare(issued.credentials(), validating);
			this.validationLatency = smooth(this.validationLatency, since(validating));
			return true;
		}
		catch (Exception ex) {
			revoke(issued, RevocationTrigger.REJECTED);
			Instant expired = sent.plus(issued.ttl());
			if (attempt < FIRST_ISSUE_ATTEMPTS && !this.clock.instant().isBefore(expired)) {
				logger.warn(String.format("The first credentials of data source '%s' (user '%s') expired after "
						+ "%s ms, before the database had accepted them: the role's TTL (%ss) is shorter than "
						+ "issuing and one login take here. Asking Vault for new ones.", this.name,
						issued.username(), since(sent).toMillis(), issued.ttl().toSeconds()));
				return false;
			}
			throw new CredentialsValidationException(this.name, issued.username(), ex);
		}
	}

	/**
	 * Ask for an immediate rotation, for example from an operator who suspects a leak.
	 * @param reason why
	 */
	public void rotateNow(RotationReason reason) {
		if (this.phase != Phase.RUNNING) {
			return;
		}
		long requestedIn = this.generation;
		onMain("rotate now", () -> {
			if (this.generation != requestedIn) {
				// Credentials were replaced since the request (say, by the rotation whose login caused it).
				return;
			}
			rotate(reason, false);
		});
	}

	/**
	 * Report that the database refused a login with these credentials (SQLState 28P01, 28000 or
	 * 42501 at login): when they are the current ones, rotate at once and treat them as dead; when
	 * they belong to a lease being drained, evict what is left of it now.
	 * @param credentials the credentials of the refused login
	 * @param sqlState the SQLState
	 */
	public void loginRejected(DatabaseCredentials credentials, String sqlState) {
		if (this.phase != Phase.RUNNING) {
			return;
		}
		CredentialLease current = this.lease;
		if (current != null && current.credentials().equals(credentials)) {
			if (current.leaseId().equals(this.rejectionHandled.getAndSet(current.leaseId()))) {
				return;
			}
			logger.warn(String.format("Database refused user '%s' of data source '%s' (SQLState %s); rotating "
					+ "lease %s at once", current.username(), this.name, sqlState, current.shortLeaseId()));
			onMain("login rejected", () -> {
				CredentialLease now = this.lease;
				if (now != null && now.leaseId().equals(current.leaseId())) {
					rotate(this.staticRole ? RotationReason.PASSWORD_ROTATED : RotationReason.CREDENTIALS_REJECTED,
							true);
				}
			});
			return;
		}
		if (!this.staticRole) {
			this.retiring.values()
				.stream()
				.filter((retiring) -> retiring.previous.credentials().equals(credentials))
				.forEach((retiring) -> retiring.retirement.previousDead());
		}
	}

	/**
	 * Report that a statement on a pooled connection failed with SQLState 42501 (permission
	 * denied). HikariCP does not say on which connection, so the database is asked which of the
	 * users this lifecycle holds still log in, and Vault whether the current lease still exists;
	 * an ordinary application error changes nothing. Checks are rate-limited.
	 */
	public void permissionDenied() {
		if (this.phase != Phase.RUNNING) {
			return;
		}
		Instant now = this.clock.instant();
		Instant last = this.lastDatabaseCheck.get();
		if (Duration.between(last, now).compareTo(DATABASE_CHECK_INTERVAL) < 0
				|| !this.lastDatabaseCheck.compareAndSet(last, now)) {
			return;
		}
		onMain("permission check", this::checkCredentials);
	}

	/**
	 * Stop: wait (at most {@code timeout}) for the operation under way, stop draining, close the
	 * pool, then revoke every lease this lifecycle holds, including one a rotation was switching
	 * to, unless told to leave them to expire.
	 * @param poolCloser closes the pool, run before the revocations
	 * @param revoke whether to revoke the leases
	 * @param timeout how long to wait for the operation under way
	 */
	public void stop(Runnable poolCloser, boolean revoke, Duration timeout) {
		if (this.phase == Phase.STOPPING || this.phase == Phase.STOPPED) {
			return;
		}
		this.phase = Phase.STOPPING;
		this.nextAction = NextAction.NONE;
		this.nextActionAt = null;
		long deadline = System.nanoTime() + timeout.toNanos();
		boolean mainIdle = this.main.close(timeout);
		boolean retireIdle = this.retire.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
		boolean callsIdle = this.calls.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
		boolean revocationsIdle = this.revocations
			.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
		boolean newLeaseIdle = this.newLease.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
		if (!mainIdle || !retireIdle || !callsIdle || !revocationsIdle || !newLeaseIdle) {
			logger.warn(String.format("Data source '%s': an operation under way did not end within "
					+ "vault.lease.shutdown-timeout (%s); a lease it still obtains is revoked when it ends",
					this.name, timeout));
		}
		this.retiring.values().forEach((retiring) -> retiring.retirement.abandon());
		this.retiring.clear();
		try {
			poolCloser.run();
		}
		catch (RuntimeException ex) {
			logger.warn("Closing the pool of data source '" + this.name + "' failed", ex);
		}
		for (CredentialLease held : new ArrayList<>(this.held.values())) {
			if (revoke) {
				if (revokeLease(held, RevocationTrigger.SHUTDOWN) == Revocation.REVOKED) {
					logger.info(String.format("Revoked lease %s of user '%s' (data source '%s') on shutdown",
							held.shortLeaseId(), held.username(), this.name));
				}
			}
			else if (this.held.remove(held.leaseId()) != null) {
				this.counters.leftToExpire(held.shortLeaseId(), held.expiresAt());
				logger.info(String.format("Left lease %s of user '%s' (data source '%s') to expire at %s "
						+ "(vault.lease.revoke-on-shutdown=false)", held.shortLeaseId(), held.username(), this.name,
						held.expiresAt()));
			}
		}
		this.phase = Phase.STOPPED;
	}

	/**
	 * Return a snapshot of this lease's state.
	 * @return the status
	 */
	public LeaseStatus status() {
		CredentialLease current = this.lease;
		Instant now = this.clock.instant();
		int failures = this.consecutiveFailures.get();
		State state;
		if (this.phase == Phase.STOPPING || this.phase == Phase.STOPPED) {
			state = State.STOPPED;
		}
		else if (current == null) {
			state = State.STARTING;
		}
		else if (this.engineFailure != null) {
			state = State.FAILED;
		}
		else if (this.currentDead) {
			state = State.REVOKED;
		}
		else if (!this.staticRole && !current.expiresAt().isAfter(now)) {
			// A static role's password outlives its "expiry" (Vault's next rotation) until it is read again.
			state = State.EXPIRED;
		}
		else if (failures > 0) {
			state = State.FAILING;
		}
		else {
			state = State.ACTIVE;
		}
		LeaseStatus.Current described = (current != null) ? new LeaseStatus.Current(current.username(),
				current.shortLeaseId(), current.issuedAt(), current.expiresAt(), current.remaining(now),
				this.issuedTtl, current.renewable(), this.endsAt) : null;
		String failure = (this.engineFailure != null) ? "INTERNAL: " + this.engineFailure : this.lastFailure;
		return new LeaseStatus(this.name, this.role, state, described,
				new LeaseStatus.Next(this.nextAction, this.nextActionAt), new LeaseStatus.Failures(failures, failure),
				new LeaseStatus.History(this.lastRenewal, this.lastRotation), LeaseStatus.Counts.of(this.counters, now));
	}

	/**
	 * Return the name of the managed data source.
	 * @return the name
	 */
	public String name() {
		return this.name;
	}

	/**
	 * Return the Vault role.
	 * @return the role
	 */
	public String role() {
		return this.role;
	}

	/**
	 * Return the running totals of this lease.
	 * @return the counters
	 */
	public LeaseCounters counters() {
		return this.counters;
	}

	/**
	 * Return the current lease, for the library's own parts; never expose its lease id or password.
	 * @return the lease, {@code null} before start
	 */
	public @Nullable CredentialLease currentLease() {
		return this.lease;
	}

	/**
	 * Return the role's {@code max_ttl} as far as this lifecycle knows it, read from the role or
	 * learned from a capped renewal.
	 * @return the max TTL, empty when unknown
	 */
	public Optional<Duration> maxTtl() {
		return Optional.ofNullable(this.maxTtl);
	}

	// --- planning (main strand) ------------------------------------------------------------------

	private void adopt(CredentialLease next) {
		this.generation++;
		this.lease = next;
		this.issuedTtl = next.ttl();
		this.currentDead = false;
		this.plannedRotation = null;
		Instant end = next.renewable() ? null : next.expiresAt();
		Duration max = this.maxTtl;
		if (max != null) {
			end = earliest(end, next.issuedAt().plus(max));
		}
		this.endsAt = end;
	}

	private void planNext() {
		synchronized (this.planLock) {
			CredentialLease current = this.lease;
			if (this.phase == Phase.RUNNING && current != null) {
				plan(current);
			}
		}
	}

	private void plan(CredentialLease current) {
		Instant now = this.clock.instant();
		if (this.staticRole) {
			// Read the password again just after Vault rotates it; until then the current one works.
			Duration delay = this.vaultLatency.multipliedBy(2);
			if (delay.compareTo(STATIC_REREAD_DELAY) < 0) {
				delay = STATIC_REREAD_DELAY;
			}
			scheduleRotation(latest(current.expiresAt().plus(delay), now), RotationReason.PASSWORD_ROTATED, false);
			return;
		}
		Duration cost = rotationCostEstimate();
		Instant end = this.endsAt;
		Instant rotateAt = null;
		if (end != null) {
			if (this.plannedRotation == null) {
				// Once, early in a lease's life: a random phase, so a fleet deployed at once spreads.
				boolean phase = !this.phaseTaken && this.policy.isEarlyInLife(now, end, current.issuedAt());
				this.plannedRotation = phase
						? this.policy.rotateAtRandomPhase(end, current.issuedAt(), this.issuedTtl, cost)
						: this.policy.rotateAt(end, current.issuedAt(), this.issuedTtl, cost);
				this.phaseTaken |= phase;
			}
			rotateAt = this.plannedRotation;
		}
		Instant renewAt = null;
		if (current.renewable() && (end == null || current.expiresAt().isBefore(end))) {
			Instant grantedAt = current.expiresAt().minus(current.ttl());
			renewAt = grantedAt.plus(this.policy.renewDelay(current.ttl(), this.vaultLatency));
		}
		// A renewal still waiting for Vault when the rotation is due would hold the rotation up.
		if (renewAt != null && (rotateAt == null || !renewAt.plus(this.vaultLatency).isAfter(rotateAt))) {
			scheduleRenewal(latest(renewAt, now));
			return;
		}
		// Without that renewal the lease must last through the rotation: start it earlier if not.
		Instant lastSafe = this.policy.lastSafeRotation(current.expiresAt(), current.ttl(), this.issuedTtl, cost);
		Instant at = (rotateAt != null) ? earliest(rotateAt, lastSafe) : lastSafe;
		scheduleRotation(latest(at, now), current.renewable() ? RotationReason.MAX_TTL : RotationReason.NOT_RENEWABLE,
				false);
	}

	// A rotation costs at least two answers from Vault (issue, then revoke) and a validation before
	// the old lease's end; until one was measured, also all a switch may take.
	private Duration rotationCostEstimate() {
		Duration cost = this.rotationCost;
		Duration least = this.vaultLatency.multipliedBy(2).plus(this.validationLatency);
		if (cost.isZero()) {
			least = least.plus(this.target.switchAllowance());
		}
		return (least.compareTo(cost) > 0) ? least : cost;
	}

	private void scheduleRenewal(Instant at) {
		scheduleAt(NextAction.RENEW, at, this::renew);
	}

	private void scheduleRotation(Instant at, RotationReason reason, boolean previousDead) {
		scheduleAt(NextAction.ROTATE, at, () -> rotate(reason, previousDead));
	}

	private void scheduleAt(NextAction action, Instant at, Runnable body) {
		synchronized (this.planLock) {
			cancelPending();
			Planned planned = new Planned();
			this.nextAction = action;
			this.nextActionAt = at;
			this.pending = planned;
			try {
				planned.handle = this.main.schedule(step(action.name().toLowerCase(Locale.ROOT), () -> {
					synchronized (this.planLock) {
						if (this.pending == planned) {
							this.pending = null;
						}
					}
					body.run();
				}), Duration.between(this.clock.instant(), at));
			}
			catch (RuntimeException ex) {
				this.pending = null;
				throw ex;
			}
		}
	}

	private void cancelPending() {
		synchronized (this.planLock) {
			Planned planned = this.pending;
			if (planned != null) {
				Cancellable handle = planned.handle;
				if (handle != null) {
					handle.cancel();
				}
				this.pending = null;
			}
		}
	}

	private void onMain(String what, Runnable body) {
		try {
			this.main.schedule(step(what, body), Duration.ZERO);
		}
		catch (RejectedExecutionException ex) {
			// Stopping.
		}
	}

	// Every task of the main strand runs through here: nothing escapes, and it never ends with
	// nothing planned while running.
	private Runnable step(String what, Runnable body) {
		return () -> {
			try {
				body.run();
			}
			catch (RuntimeException | Error ex) {
				if (this.phase == Phase.RUNNING) {
					logger.error(String.format("Unexpected failure in '%s' for data source '%s'", what, this.name), ex);
					CredentialLease current = this.lease;
					if (current != null) {
						failed(FailureKind.INTERNAL, current, what + ": " + ex, null, true);
					}
				}
			}
			finally {
				ensurePlanned();
			}
		};
	}

	private void ensurePlanned() {
		synchronized (this.planLock) {
			if (this.phase != Phase.RUNNING || this.pending != null) {
				return;
			}
		}
		try {
			retryRenewal(null);
		}
		catch (RuntimeException ex) {
			if (this.phase == Phase.RUNNING) {
				this.engineFailure = ex.toString();
			}
		}
		if (this.phase == Phase.RUNNING && this.pending == null) {
			String reason = (this.engineFailure != null) ? this.engineFailure : "no next action could be planned";
			this.engineFailure = reason;
			this.nextAction = NextAction.NONE;
			this.nextActionAt = null;
			logger.error(String.format("The lease lifecycle of data source '%s' stopped renewing and rotating: %s; its "
					+ "credentials expire at %s", this.name, reason, expiry()));
			CredentialLease current = this.lease;
			if (current != null) {
				publish(new LeaseFailureEvent(this, this.name, current.username(), current.shortLeaseId(),
						this.clock.instant(), FailureKind.INTERNAL, "lifecycle failed: " + reason,
						this.consecutiveFailures.get(), null));
			}
		}
	}

	// --- renewal (main strand) -------------------------------------------------------------------

	private void renew() {
		CredentialLease current = this.lease;
		if (current == null || this.phase != Phase.RUNNING) {
			return;
		}
		Instant sent = this.clock.instant();
		LeaseRenewal renewal;
		try {
			renewal = this.client.renew(current, this.issuedTtl);
		}
		catch (VaultRequestException ex) {
			this.counters.renewed(RenewalOutcome.FAILURE);
			failed(FailureKind.RENEWAL, current, ex.getMessage(), null, true);
			switch (ex.getFailure()) {
				case LEASE_GONE -> rotate(RotationReason.LEASE_GONE, true);
				case MAX_TTL_REACHED -> {
					this.endsAt = earliest(this.endsAt, current.expiresAt());
					this.plannedRotation = null;
					rotate(RotationReason.MAX_TTL, false);
				}
				case PERMISSION_DENIED -> {
					// A token revoked or expired behind our back takes its leases with it.
					if (this.tokens.invalidate()) {
						rotate(RotationReason.LEASE_GONE, true);
					}
					else {
						retryRenewal(ex.getFailure());
					}
				}
				default -> retryRenewal(ex.getFailure());
			}
			return;
		}
		catch (RuntimeException ex) {
			this.counters.renewed(RenewalOutcome.FAILURE);
			failed(FailureKind.RENEWAL, current, ex.toString(), null, true);
			retryRenewal(null);
			return;
		}
		observeVault(since(sent));
		CredentialLease renewed = current.renewed(sent, renewal.granted(), renewal.renewable());
		this.held.computeIfPresent(current.leaseId(), (id, old) -> renewed);
		this.lease = renewed;
		this.lastRenewal = this.clock.instant();
		this.counters.renewed(renewal.capped() ? RenewalOutcome.CAPPED : RenewalOutcome.SUCCESS);
		if (renewal.capped() || !renewal.renewable()) {
			learnEnd(current, renewed, renewal.capped());
		}
		succeeded();
		if (logger.isDebugEnabled()) {
			logger.debug(String.format("Renewed lease %s of user '%s' for %ss%s", renewed.shortLeaseId(),
					renewed.username(), renewal.granted().toSeconds(), renewal.capped() ? " (capped by max_ttl)" : ""));
		}
		publish(new LeaseRenewedEvent(this, this.name, renewed.username(), renewed.shortLeaseId(),
				this.clock.instant(), renewal.granted(), renewal.capped()));
		planNext();
	}

	private void learnEnd(CredentialLease before, CredentialLease renewed, boolean capped) {
		Instant end = renewed.expiresAt();
		Instant previous = this.endsAt;
		this.endsAt = earliest(previous, end);
		if (!end.equals(previous)) {
			this.plannedRotation = null;
		}
		if (capped) {
			Duration learned = Duration.between(before.issuedAt(), end);
			Duration known = this.maxTtl;
			if (known == null || learned.compareTo(known) < 0) {
				this.maxTtl = learned;
				if (known == null) {
					warnAboutMaxTtl(learned);
				}
			}
		}
	}

	private void retryRenewal(@Nullable Failure failure) {
		CredentialLease current = this.lease;
		if (current == null || this.phase != Phase.RUNNING) {
			return;
		}
		if (this.staticRole) {
			retryRotation(RotationReason.PASSWORD_ROTATED, false, false);
			return;
		}
		Instant now = this.clock.instant();
		Duration remaining = current.remaining(now);
		Duration cost = rotationCostEstimate();
		Duration lead = this.policy.rotationLead(this.issuedTtl, cost);
		// A retry after another error lands at the lead time at the latest: urgent from there on.
		boolean urgent = remaining.compareTo(lead) <= 0;
		Instant at = now.plus(this.policy.retryDelay(remaining, cost));
		Instant planned = this.plannedRotation;
		if (!at.isBefore(current.expiresAt())) {
			// Expired by then: Vault revokes it as soon as it can, so new credentials are the way out.
			scheduleRotation(at, RotationReason.RENEWAL_FAILING, true);
		}
		else if (planned != null && !at.isBefore(planned)) {
			scheduleRotation(at, current.renewable() ? RotationReason.MAX_TTL : RotationReason.NOT_RENEWABLE, false);
		}
		else if (failure == Failure.UNAVAILABLE) {
			// Vault is away (a failover, a restart): renew the same lease as soon as it answers.
			scheduleRenewal(at);
		}
		else if (!urgent) {
			// Another error may persist: retry before the lead, so a rotation still gets all of it.
			scheduleRenewal(earliest(at, current.expiresAt().minus(lead)));
		}
		else {
			// Within the lead time a rotation started later only leaves old connections less to drain.
			scheduleRotation(now, RotationReason.RENEWAL_FAILING, false);
		}
	}

	// --- rotation (main strand, then the retire strand) ------------------------------------------

	private void rotate(RotationReason reason, boolean deadCredentials) {
		CredentialLease previous = this.lease;
		if (previous == null || this.phase != Phase.RUNNING) {
			return;
		}
		// The sessions of a static role's old password keep working: never evict them in a hurry.
		boolean previousDead = deadCredentials && !this.staticRole;
		cancelPending();
		this.nextAction = NextAction.ROTATE;
		this.nextActionAt = this.clock.instant();
		Instant sent = this.clock.instant();
		if (previousDead && previous.expiresAt().isAfter(sent)) {
			// Revoked or refused while still valid; an expired lease reports as expired.
			this.currentDead = true;
		}
		// Renewed again at half of what it has left, for as long as the issue and the new user's first
		// connections take: once is not enough when they outlast its TTL (a 4 s lease, Vault 1.5 s
		// late, a login slowed to seconds on a loaded machine). Renewed at once when the rotation is
		// expected to outlast it; otherwise only once the rotation has taken half of what it has left,
		// so that the drain keeps its time when the new user's connections open slowly.
		@Nullable Duration keepAliveDelay = previousDead ? null : keepAliveDelay(previous, sent);
		LeaseScheduler.Cancellable keepPrevious = (keepAliveDelay != null)
				? keepAliveLater(previous, keepAliveDelay, this.calls) : null;
		try {
			issueAndSwitch(previous, reason, previousDead, sent);
		}
		finally {
			// From the switch on, the drain deadline follows the old lease's end as renewed so far.
			cancel(keepPrevious);
		}
	}

	private void issueAndSwitch(CredentialLease previous, RotationReason reason, boolean previousDead,
			Instant sent) {
		CredentialLease next;
		try {
			next = this.client.issue();
		}
		catch (VaultRequestException ex) {
			this.counters.rotationFailed(reason);
			failed(FailureKind.ISSUE, previous, ex.getMessage(), reason, true);
			if (ex.getFailure() == Failure.PERMISSION_DENIED) {
				this.tokens.invalidate();
			}
			if (ex.getFailure() == Failure.NOT_FOUND || ex.getFailure() == Failure.REJECTED) {
				this.roleMissingAt = this.clock.instant();
			}
			retryRotation(reason, previousDead, false);
			return;
		}
		catch (RuntimeException ex) {
			this.counters.rotationFailed(reason);
			failed(FailureKind.ISSUE, previous, ex.toString(), reason, true);
			retryRotation(reason, previousDead, false);
			return;
		}
		Duration issueTime = since(sent);
		observeVault(issueTime);
		if (this.staticRole && next.credentials().equals(previous.credentials())) {
			// Vault has not rotated the password yet: keep it, learn when it will.
			this.lease = next;
			this.endsAt = next.expiresAt();
			succeeded();
			planNext();
			return;
		}
		hold(next);
		this.counters.issued(issueTime);
		if (this.phase != Phase.RUNNING) {
			revoke(next, RevocationTrigger.SHUTDOWN);
			return;
		}
		Instant validating = this.clock.instant();
		// This strand cannot renew the new lease while its first connections open: when that takes
		// long (a slow login on a loaded machine), a strand of its own renews it at half its TTL, not
		// the calls strand, where it would wait behind a renewal of the old lease (each a whole
		// round trip to a slow Vault).
		LeaseScheduler.Cancellable keepNext = keepAliveLater(next, next.remaining(validating).dividedBy(2),
				this.newLease);
		try {
			// Dead credentials serve nothing: switch as soon as the new ones are known to work.
			// Otherwise open the new generation's connections while the old ones still serve.
			this.target.prepare(next.credentials(),
					previousDead ? validating : validating.plus(prepareTime(previous, validating)));
		}
		catch (Exception ex) {
			cancel(keepNext);
			this.counters.rotationFailed(reason);
			failed(FailureKind.VALIDATION, previous,
					"database did not accept new user '" + next.username() + "': " + describe(ex), reason, true);
			this.target.discard(next.credentials());
			revoke(next, RevocationTrigger.REJECTED);
			retryRotation(reason, previousDead, true);
			return;
		}
		cancel(keepNext);
		next = keptAlive(next);
		this.keptAlive.remove(next.leaseId());
		Duration validation = since(validating);
		this.validationLatency = smooth(this.validationLatency, validation);
		if (this.phase != Phase.RUNNING) {
			this.target.discard(next.credentials());
			revoke(next, RevocationTrigger.SHUTDOWN);
			return;
		}
		Instant now = this.clock.instant();
		// A static role's "expiry" is Vault's next rotation: its password works until Vault changes it.
		if (!this.staticRole && !next.expiresAt().isAfter(now)) {
			// Vault ended the new user while its connections opened: switching to it would fail them.
			this.counters.rotationFailed(reason);
			failed(FailureKind.VALIDATION, previous, "new user '" + next.username() + "' expired after "
					+ validation.toMillis() + " ms of validation, before the pool could use it", reason, true);
			this.target.discard(next.credentials());
			revoke(next, RevocationTrigger.REJECTED);
			retryRotation(reason, previousDead, true);
			return;
		}
		boolean dead = previousDead || (!this.staticRole && !keptAlive(previous).expiresAt().isAfter(now));
		Retirement retirement;
		try {
			retirement = this.target.switchTo(next.credentials(), previous.credentials(), dead);
		}
		catch (RuntimeException ex) {
			// New logins must use the new user; the old lease is left to expire rather than revoked
			// under connections that may still use it.
			logger.warn(String.format("Switching data source '%s' from user '%s' to '%s' failed; lease %s is left "
					+ "to expire at %s", this.name, previous.username(), next.username(), previous.shortLeaseId(),
					previous.expiresAt()), ex);
			try {
				this.target.install(next.credentials());
			}
			catch (RuntimeException installFailure) {
				// The pool took neither: keep the old credentials and do not leave the new user behind.
				this.target.discard(next.credentials());
				revoke(next, RevocationTrigger.REJECTED);
				installFailure.addSuppressed(ex);
				throw installFailure;
			}
			retirement = null;
		}
		adopt(next);
		this.lastRotation = now;
		this.counters.rotated(reason);
		succeeded();
		publish(new CredentialsIssuedEvent(this, this.name, next.username(), next.shortLeaseId(), now, next.ttl(),
				issueTime));
		logger.info(String.format("Switched data source '%s' to new credentials (%s): role '%s', user '%s' -> '%s', "
				+ "lease %s -> %s; issue %dms, validation %dms", this.name, reason, this.role, previous.username(),
				next.username(), previous.shortLeaseId(), next.shortLeaseId(), issueTime.toMillis(),
				validation.toMillis()));
		// The new lease's renewal is planned now, before the old lease is drained and revoked.
		planNext();
		if (retirement == null) {
			leaveToExpire(previous);
			return;
		}
		RetiringLease retiring = new RetiringLease(previous, next, reason, retirement, dead, now, issueTime,
				validation);
		this.retiring.put(previous.leaseId(), retiring);
		scheduleRetirement(retiring, Duration.ZERO);
	}

	// When to renew the lease being replaced while its rotation runs: at once when it would expire
	// before the switch and the drain are done (alongside the issue of its successor, not before it:
	// that would cost a round trip), otherwise at half of what it has left, or earlier when its
	// regular renewal would come earlier (LeasePolicy.keepAliveDelay); null when it cannot be
	// renewed further.
	private @Nullable Duration keepAliveDelay(CredentialLease previous, Instant now) {
		Instant end = this.endsAt;
		if (!previous.renewable() || (end != null && !previous.expiresAt().isBefore(end))) {
			return null;
		}
		Duration switching = this.vaultLatency.multipliedBy(2)
			.plus(this.validationLatency)
			.plus(this.target.switchAllowance());
		Duration remaining = previous.remaining(now);
		return (remaining.compareTo(switching) < 0) ? Duration.ZERO
				: this.policy.keepAliveDelay(remaining, previous.ttl(), this.vaultLatency);
	}

	// Renews the lease at half its remaining time (or at its regular renewal, when earlier), again
	// after each renewal, until cancelled: a validation may outlast several halves of a short TTL on a
	// loaded machine.
	private LeaseScheduler.@Nullable Cancellable keepAliveLater(CredentialLease lease, Duration delay,
			LeaseScheduler strand) {
		if (!lease.renewable()) {
			return null;
		}
		KeepingAlive keeping = new KeepingAlive(lease, strand);
		keeping.plan(delay);
		return keeping;
	}

	private static void cancel(LeaseScheduler.@Nullable Cancellable task) {
		if (task != null) {
			task.cancel();
		}
	}

	private static void schedule(LeaseScheduler strand, Runnable task, Duration delay) {
		try {
			strand.schedule(task, delay);
		}
		catch (RejectedExecutionException ex) {
			// Stopping.
		}
	}

	// Opening connections ahead must leave most of the old lease's time to the switch and drain.
	private Duration prepareTime(CredentialLease previous, Instant now) {
		Duration share = previous.remaining(now).dividedBy(4);
		Duration allowance = this.target.switchAllowance();
		Duration time = (allowance.compareTo(share) < 0) ? allowance : share;
		return time.isNegative() ? Duration.ZERO : time;
	}

	private void retryRotation(RotationReason reason, boolean previousDead, boolean validationFailed) {
		CredentialLease current = this.lease;
		if (current == null || this.phase != Phase.RUNNING) {
			return;
		}
		// Renewed while the failed rotation ran: go on with the lease as Vault now holds it.
		CredentialLease renewed = keptAlive(current);
		if (renewed != current) {
			this.lease = renewed;
			this.keptAlive.remove(current.leaseId());
			current = renewed;
		}
		Instant now = this.clock.instant();
		Duration remaining = current.remaining(now);
		int attempt = Math.max(1, this.consecutiveFailures.get());
		Duration delay = validationFailed ? this.policy.validationRetryDelay(attempt, remaining)
				: this.policy.retryDelay(previousDead ? Duration.ZERO : remaining, rotationCostEstimate());
		Instant at = now.plus(delay);
		scheduleRotation(at, reason, previousDead || !at.isBefore(current.expiresAt()));
	}

	private Instant drainDeadline(RetiringLease retiring) {
		if (retiring.dead) {
			return retiring.switchedAt.plus(DEAD_DRAIN_BUDGET);
		}
		if (this.staticRole) {
			// The old password's sessions outlive its rotation: no end to drain before, only the
			// drain budget, as a dynamic lease of the time until Vault's next rotation would get.
			Duration budget = this.policy.drainBudget(retiring.next.ttl());
			return retiring.switchedAt.plus((budget.compareTo(LEAST_DRAIN) < 0) ? LEAST_DRAIN : budget);
		}
		// When the lease ends, Vault's own revocation ends the old sessions, whoever revokes it: the
		// old connections must be gone by then, the revocation itself may come a little later.
		Instant expiresAt = keptAlive(retiring.previous).expiresAt();
		Duration margin = Duration.between(retiring.switchedAt, expiresAt).dividedBy(10);
		if (margin.compareTo(LEAST_MARGIN) < 0) {
			margin = LEAST_MARGIN;
		}
		else if (margin.compareTo(LONGEST_MARGIN) > 0) {
			margin = LONGEST_MARGIN;
		}
		Instant deadline = expiresAt.minus(margin);
		Instant least = retiring.switchedAt.plus(LEAST_DRAIN);
		return deadline.isBefore(least) ? least : deadline;
	}

	// The old lease as renewed while its rotation ran, if it was.
	private CredentialLease keptAlive(CredentialLease previous) {
		CredentialLease renewed = this.keptAlive.get(previous.leaseId());
		return (renewed != null && renewed.expiresAt().isAfter(previous.expiresAt())) ? renewed : previous;
	}

	// Calls strand: renew the lease being replaced while the main strand waits for Vault to issue
	// its successor, when it would otherwise expire before the switch and drain are done; or the new
	// lease while the main strand still opens its first connections.
	// Returns the renewed lease, or null when it was not renewed or cannot be renewed further.
	private @Nullable CredentialLease keepAlive(CredentialLease lease) {
		if (this.phase != Phase.RUNNING || !this.held.containsKey(lease.leaseId())) {
			return null;
		}
		CredentialLease current = keptAlive(lease);
		Instant sent = this.clock.instant();
		try {
			LeaseRenewal renewal = this.client.renew(current, this.issuedTtl);
			observeVault(since(sent));
			CredentialLease renewed = current.renewed(sent, renewal.granted(), renewal.renewable());
			this.counters.renewed(renewal.capped() ? RenewalOutcome.CAPPED : RenewalOutcome.SUCCESS);
			if (this.held.computeIfPresent(lease.leaseId(), (id, old) -> renewed) == null) {
				// Revoked meanwhile, on the revocations strand.
				return null;
			}
			this.keptAlive.put(lease.leaseId(), renewed);
			if (!this.held.containsKey(lease.leaseId())) {
				// Revoked between the two: its retirement may have cleared this map already.
				this.keptAlive.remove(lease.leaseId());
				return null;
			}
			if (logger.isDebugEnabled()) {
				logger.debug(String.format("Renewed lease %s of user '%s' during a rotation, for %ss",
						lease.shortLeaseId(), lease.username(), renewal.granted().toSeconds()));
			}
			return (renewal.capped() || !renewal.renewable()) ? null : renewed;
		}
		catch (RuntimeException ex) {
			logger.debug("Renewing a lease during a rotation failed; the rotation goes on", ex);
			return null;
		}
	}

	/**
	 * The renewals of a new lease while its first connections open, on the calls strand.
	 */
	private final class KeepingAlive implements LeaseScheduler.Cancellable {

		private final CredentialLease lease;

		private final LeaseScheduler strand;

		private volatile boolean cancelled;

		private volatile LeaseScheduler.@Nullable Cancellable pending;

		KeepingAlive(CredentialLease lease, LeaseScheduler strand) {
			this.lease = lease;
			this.strand = strand;
		}

		void plan(Duration delay) {
			try {
				this.pending = this.strand.schedule(this::renew, delay);
			}
			catch (RejectedExecutionException ex) {
				// Stopping.
			}
		}

		private void renew() {
			if (this.cancelled) {
				return;
			}
			CredentialLease renewed = keepAlive(this.lease);
			if (renewed != null && !this.cancelled) {
				plan(LeaseLifecycle.this.policy.keepAliveDelay(renewed.remaining(LeaseLifecycle.this.clock.instant()),
						renewed.ttl(), LeaseLifecycle.this.vaultLatency));
			}
		}

		@Override
		public void cancel() {
			this.cancelled = true;
			LeaseScheduler.Cancellable task = this.pending;
			if (task != null) {
				task.cancel();
			}
		}

	}

	private void scheduleRetirement(RetiringLease retiring, Duration delay) {
		try {
			this.retire.schedule(() -> retireStep(retiring), delay);
		}
		catch (RejectedExecutionException ex) {
			// Stopping: stop() abandons the retirement and revokes the lease.
		}
	}

	// Retire strand.
	private void retireStep(RetiringLease retiring) {
		if (this.phase != Phase.RUNNING) {
			retiring.retirement.abandon();
			return;
		}
		Duration wait;
		try {
			wait = retiring.retirement.advance(drainDeadline(retiring));
		}
		catch (RuntimeException ex) {
			logger.warn(String.format("Draining user '%s' of data source '%s' failed; lease %s is left to expire at %s",
					retiring.previous.username(), this.name, retiring.previous.shortLeaseId(),
					retiring.previous.expiresAt()), ex);
			retiring.retirement.abandon();
			this.retiring.remove(retiring.previous.leaseId());
			this.counters.failed(FailureKind.INTERNAL);
			leaveToExpire(retiring.previous);
			return;
		}
		if (wait != null) {
			scheduleRetirement(retiring, wait);
			return;
		}
		// The revocation waits for Vault: off the drain strand, so the next switch's steps never wait;
		// a random moment later, so that a fleet's revocations do not fall with their issues. The
		// lease stays held meanwhile: a stop drops the wait and revokes it with the others.
		Instant drained = this.clock.instant();
		schedule(this.revocations, () -> finishRetirement(retiring, drained), revokeWait(retiring, drained));
	}

	// Dead credentials are revoked at once: a user the database refuses or Vault no longer knows is
	// one to end now, not to spread; a static role's revocation is a no-op.
	private Duration revokeWait(RetiringLease retiring, Instant now) {
		if (this.staticRole || retiring.dead || retiring.reason == RotationReason.LEASE_GONE) {
			return Duration.ZERO;
		}
		return this.policy.revokeDelay(keptAlive(retiring.previous).remaining(now));
	}

	// Revocations strand: a slow revocation holds up neither the next switch's steps nor the
	// renewals that keep a lease alive through a rotation (those on the calls strand).
	private void finishRetirement(RetiringLease retiring, Instant drained) {
		RetirementReport report = retiring.retirement.report();
		Instant revoking = this.clock.instant();
		Duration waited = since(drained);
		Revocation revocation = (this.phase == Phase.RUNNING)
				? revokeLease(retiring.previous, RevocationTrigger.ROTATION) : Revocation.CLAIMED;
		boolean revoked = revocation == Revocation.REVOKED || revocation == Revocation.UNKNOWN_TO_VAULT
				|| revocation == Revocation.NOT_NEEDED;
		Duration revokeTime = since(revoking);
		this.retiring.remove(retiring.previous.leaseId());
		this.keptAlive.remove(retiring.previous.leaseId());
		Instant roleMissing = this.roleMissingAt;
		if (revocation == Revocation.UNKNOWN_TO_VAULT || retiring.reason == RotationReason.LEASE_GONE
				|| (revocation == Revocation.REVOKED && roleMissing != null
						&& roleMissing.isAfter(retiring.previous.issuedAt()))) {
			// Vault may have forgotten the lease (a dev server restarted, a restore) while the user
			// lives on; a revocation by Vault drops it within moments, so look a little later.
			CredentialLease gone = retiring.previous;
			schedule(this.calls, () -> warnIfOrphaned(gone), ORPHAN_CHECK_DELAY);
		}
		Timings timings = new Timings(retiring.issue, retiring.validation, report.surge(), report.drain(), waited,
				revokeTime);
		this.counters.rotationFinished(timings.total());
		observeRotationCost(timings.total());
		if (report.oldConnectionsLeft() > 0 && this.staticRole) {
			// Harmless: PostgreSQL keeps the sessions of a user whose password changed.
			logger.info(String.format("Data source '%s': %d connection(s) logged in with the previous password of "
					+ "user '%s' were still in use at the drain deadline; they keep working and close when returned",
					this.name, report.oldConnectionsLeft(), retiring.previous.username()));
		}
		else if (report.oldConnectionsLeft() > 0) {
			logger.warn(String.format("Data source '%s': %d connection(s) of old user '%s' were still open at the "
					+ "drain deadline", this.name, report.oldConnectionsLeft(), retiring.previous.username()));
		}
		logger.info(String.format("Rotated data source '%s' (%s): user '%s' -> '%s', lease %s -> %s; issue %dms, "
				+ "validation %dms, surge %dms, drain %dms, revoke wait %dms, revoke %dms%s", this.name,
				retiring.reason, retiring.previous.username(), retiring.next.username(),
				retiring.previous.shortLeaseId(), retiring.next.shortLeaseId(), timings.issue().toMillis(),
				timings.validation().toMillis(), timings.surge().toMillis(), timings.drain().toMillis(),
				timings.revokeWait().toMillis(), revokeTime.toMillis(),
				revoked ? "" : " (old lease not revoked)"));
		publish(new CredentialsRotatedEvent(this, this.name, retiring.next.username(), retiring.next.shortLeaseId(),
				this.clock.instant(), retiring.previous.username(), retiring.reason, timings,
				report.oldConnectionsLeft(), revoked));
	}

	// Calls strand.
	private void warnIfOrphaned(CredentialLease gone) {
		if (this.phase == Phase.RUNNING && this.target.userExists(gone.username())) {
			logger.warn(String.format("Vault no longer knows lease %s of user '%s' (data source '%s'), yet that user "
					+ "still exists in the database: nobody can revoke it through Vault any more. Its password stops "
					+ "working at %s (VALID UNTIL); drop it with DROP ROLE \"%s\".", gone.shortLeaseId(),
					gone.username(), this.name, gone.expiresAt(), gone.username()));
		}
	}

	// --- checks (main strand) --------------------------------------------------------------------

	private void checkCredentials() {
		CredentialLease current = this.lease;
		if (current == null || this.phase != Phase.RUNNING) {
			return;
		}
		for (RetiringLease retiring : this.retiring.values()) {
			if (refused(retiring.previous.credentials())) {
				logger.warn(String.format("Database no longer accepts old user '%s' of data source '%s'; evicting its "
						+ "connections now", retiring.previous.username(), this.name));
				retiring.retirement.previousDead();
			}
		}
		if (refused(current.credentials())) {
			logger.warn(String.format("Database no longer accepts user '%s' of data source '%s'; rotating lease %s at "
					+ "once", current.username(), this.name, current.shortLeaseId()));
			rotate(this.staticRole ? RotationReason.PASSWORD_ROTATED : RotationReason.CREDENTIALS_REJECTED, true);
			return;
		}
		if (this.staticRole) {
			return;
		}
		Instant now = this.clock.instant();
		Instant last = this.lastVaultCheck.get();
		if (Duration.between(last, now).compareTo(VAULT_CHECK_INTERVAL) >= 0 && this.lastVaultCheck.compareAndSet(last, now)) {
			// The database accepts the user: a revocation that kept the role would still show in
			// Vault. A renewal asks, and counts as one.
			cancelPending();
			renew();
		}
	}

	private boolean refused(DatabaseCredentials credentials) {
		try {
			this.target.validate(credentials);
			return false;
		}
		catch (Exception ex) {
			for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
				if (cause instanceof SQLException sql && REJECTIONS.contains(sql.getSQLState())) {
					return true;
				}
			}
			// The database could not be asked (down, unreachable): no conclusion.
			return false;
		}
	}

	// After the start, on the calls strand or where runChecksAfterStart says: what Vault can tell
	// about the role and the token, off the startup path. Touches nothing of the strands' own.
	private void checkRoleAndToken() {
		try {
			for (String missing : this.client.missingPermissions()) {
				logger.warn(String.format("The Vault token of data source '%s' may not %s: %s", this.name, missing,
						consequence(missing)));
			}
		}
		catch (RuntimeException ex) {
			logger.debug("Could not check the token's capabilities", ex);
		}
		Optional<Duration> read;
		try {
			read = this.client.roleMaxTtl();
		}
		catch (RuntimeException ex) {
			logger.debug("Could not read the max TTL of role '" + this.role + "'", ex);
			return;
		}
		read.ifPresent((max) -> onMain("max_ttl", () -> learnMaxTtl(max)));
	}

	private static String consequence(String missing) {
		if (missing.endsWith("sys/leases/renew")) {
			return "each lease lives only its TTL and is rotated before it ends; add 'path \"sys/leases/renew\" "
					+ "{ capabilities = [\"update\"] }' to the token's policy.";
		}
		if (missing.endsWith("sys/leases/revoke")) {
			return "replaced leases are left to expire instead of being revoked; add 'path \"sys/leases/revoke\" "
					+ "{ capabilities = [\"update\"] }' to the token's policy.";
		}
		return "new credentials cannot be issued, so rotations will fail; add a read capability on that path to the "
				+ "token's policy.";
	}

	// Main strand.
	private void learnMaxTtl(Duration max) {
		Duration known = this.maxTtl;
		if (known != null && max.compareTo(known) >= 0) {
			return;
		}
		this.maxTtl = max;
		warnAboutMaxTtl(max);
		CredentialLease current = this.lease;
		if (current != null) {
			Instant previous = this.endsAt;
			this.endsAt = earliest(previous, current.issuedAt().plus(max));
			if (!this.endsAt.equals(previous)) {
				this.plannedRotation = null;
				planNext();
			}
		}
	}

	private void warnAboutMaxTtl(Duration max) {
		Duration budget = this.policy.configuredDrainBudget(this.issuedTtl);
		if (max.compareTo(budget) <= 0) {
			logger.warn(String.format("Role '%s' of data source '%s' has max_ttl %ss, not longer than the drain budget "
					+ "of %ss (vault.lease.drain-share of its %ss TTL, at least vault.lease.min-drain-budget): every lease "
					+ "is rotated a quarter into its life, with less time to drain than asked. Raise the role's max_ttl "
					+ "well above its default_ttl, or lower vault.lease.min-drain-budget.", this.role, this.name,
					max.toSeconds(), budget.toSeconds(), this.issuedTtl.toSeconds()));
		}
		Duration lifetime = this.target.connectionLifetime();
		if (lifetime != null && lifetime.compareTo(max) > 0) {
			logger.warn(String.format("The pool of data source '%s' keeps connections up to %ss "
					+ "(spring.datasource.hikari.max-lifetime), longer than role '%s' lets a user live (max_ttl %ss). "
					+ "Rotations replace the connections anyway, but HikariCP advises a max-lifetime below any limit "
					+ "the database sets: set it below %ss.", this.name, lifetime.toSeconds(), this.role,
					max.toSeconds(), max.toSeconds()));
		}
	}

	// --- shared helpers --------------------------------------------------------------------------

	/**
	 * Revoke a lease unless someone else has claimed it: removing it from {@code held} is the claim.
	 * @return whether the lease is gone (revoked now, or already unknown to Vault)
	 */
	private boolean revoke(CredentialLease revoked, RevocationTrigger trigger) {
		return revokeLease(revoked, trigger) != Revocation.FAILED;
	}

	private Revocation revokeLease(CredentialLease revoked, RevocationTrigger trigger) {
		if (this.staticRole) {
			return Revocation.NOT_NEEDED;
		}
		if (this.held.remove(revoked.leaseId()) == null) {
			return Revocation.CLAIMED;
		}
		try {
			this.client.revoke(revoked);
			this.counters.revoked(trigger);
			publish(new LeaseRevokedEvent(this, this.name, revoked.username(), revoked.shortLeaseId(),
					this.clock.instant(), trigger));
			return Revocation.REVOKED;
		}
		catch (VaultRequestException ex) {
			if (ex.getFailure() == Failure.LEASE_GONE) {
				return Revocation.UNKNOWN_TO_VAULT;
			}
			revocationFailed(revoked, trigger, ex.getMessage());
			return Revocation.FAILED;
		}
		catch (RuntimeException ex) {
			revocationFailed(revoked, trigger, ex.toString());
			return Revocation.FAILED;
		}
	}

	private void revocationFailed(CredentialLease revoked, RevocationTrigger trigger, String message) {
		this.counters.revocationFailed(trigger, revoked.shortLeaseId(), revoked.expiresAt());
		failed(FailureKind.REVOCATION, revoked, message, null, false);
	}

	// Static roles hold nothing to revoke: their user is the role's own.
	private void hold(CredentialLease lease) {
		if (!this.staticRole) {
			this.held.put(lease.leaseId(), lease);
		}
	}

	private void leaveToExpire(CredentialLease previous) {
		if (this.held.remove(previous.leaseId()) != null) {
			this.counters.leftToExpire(previous.shortLeaseId(), previous.expiresAt());
		}
	}

	private void succeeded() {
		this.consecutiveFailures.set(0);
		this.lastFailure = null;
		this.engineFailure = null;
	}

	private void failed(FailureKind kind, CredentialLease about, String message, @Nullable RotationReason reason,
			boolean counts) {
		int count = counts ? this.consecutiveFailures.incrementAndGet() : this.consecutiveFailures.get();
		this.counters.failed(kind);
		this.lastFailure = kind + ": " + message;
		logger.warn(String.format("%s failed for data source '%s' (user '%s', lease %s%s): %s; the current "
				+ "credentials stay in use until %s", kind, this.name, about.username(), about.shortLeaseId(),
				counts ? ", attempt " + count : "", message, expiry()));
		publish(new LeaseFailureEvent(this, this.name, about.username(), about.shortLeaseId(), this.clock.instant(),
				kind, message, count, reason));
	}

	private @Nullable Instant expiry() {
		CredentialLease current = this.lease;
		return (current != null) ? current.expiresAt() : null;
	}

	private void observeVault(Duration latency) {
		this.vaultLatency = smooth(this.vaultLatency, latency);
	}

	private void observeRotationCost(Duration cost) {
		this.rotationCost = smooth(this.rotationCost, cost);
	}

	// A slow sample counts at once, a fast one only gradually: rotations are planned for the Vault
	// seen lately, not the best case.
	private static Duration smooth(Duration average, Duration sample) {
		long smoothed = (long) (average.toNanos() + SMOOTHING * (sample.toNanos() - average.toNanos()));
		return Duration.ofNanos(Math.max(smoothed, sample.toNanos()));
	}

	private Duration since(Instant start) {
		Duration elapsed = Duration.between(start, this.clock.instant());
		return elapsed.isNegative() ? Duration.ZERO : elapsed;
	}

	private static String describe(Exception ex) {
		String message = ex.getMessage();
		String state = (ex instanceof SQLException sql && sql.getSQLState() != null) ? " (SQLState "
				+ sql.getSQLState() + ")" : "";
		return ((message != null) ? message : ex.getClass().getSimpleName()) + state;
	}

	private static @Nullable Instant earliest(@Nullable Instant a, Instant b) {
		return (a == null || b.isBefore(a)) ? b : a;
	}

	private static Instant latest(Instant a, Instant b) {
		return a.isAfter(b) ? a : b;
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
	 * Credentials issued ahead of the lifecycle's start, see {@link #start(boolean, Prefetched)}.
	 *
	 * @param lease the lease, its times counting from when its request was sent
	 * @param latency how long Vault took to answer
	 */
	public record Prefetched(CredentialLease lease, Duration latency) {

	}

	/**
	 * The strands a lifecycle's work runs on: each runs its tasks one at a time, the five side by
	 * side.
	 *
	 * @param main renewals, and a rotation's issue, validation and switch
	 * @param drain the short steps that drain the connections of replaced credentials
	 * @param calls Vault calls that must not hold up the others: keeping the old lease alive while
	 * its rotation runs, checks at start
	 * @param revocations the revocations of replaced leases, which must not hold up a renewal that
	 * keeps a lease alive (Vault may take seconds to revoke)
	 * @param newLease the renewals that keep a new lease alive while its first connections open,
	 * which must not wait behind those of the lease it replaces
	 */
	public record Strands(LeaseScheduler main, LeaseScheduler drain, LeaseScheduler calls,
			LeaseScheduler revocations, LeaseScheduler newLease) {

		/**
		 * Return the strands of a lifecycle on the library's threads.
		 * @param executor the library's threads
		 * @param name the data source bean name
		 * @return the strands
		 */
		public static Strands of(LeaseExecutor executor, String name) {
			return new Strands(executor.strand("vault-lease-" + name), executor.strand("vault-drain-" + name),
					executor.strand("vault-calls-" + name), executor.strand("vault-revoke-" + name),
					executor.strand("vault-new-lease-" + name));
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

	private enum Phase {

		NEW, RUNNING, STOPPING, STOPPED

	}

	private enum Revocation {

		REVOKED, UNKNOWN_TO_VAULT, FAILED, CLAIMED, NOT_NEEDED

	}

	private static final class Planned {

		private volatile @Nullable Cancellable handle;

	}

	private static final class RetiringLease {

		private final CredentialLease previous;

		private final CredentialLease next;

		private final RotationReason reason;

		private final Retirement retirement;

		private final boolean dead;

		private final Instant switchedAt;

		private final Duration issue;

		private final Duration validation;

		RetiringLease(CredentialLease previous, CredentialLease next, RotationReason reason, Retirement retirement,
				boolean dead, Instant switchedAt, Duration issue, Duration validation) {
			this.previous = previous;
			this.next = next;
			this.reason = reason;
			this.retirement = retirement;
			this.dead = dead;
			this.switchedAt = switchedAt;
			this.issue = issue;
			this.validation = validation;
		}

	}

}
