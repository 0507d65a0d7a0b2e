package io.github.vaultdatasource.lease;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import io.github.vaultdatasource.FailureKind;
import io.github.vaultdatasource.RotationReason;
import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.event.CredentialsIssuedEvent;
import io.github.vaultdatasource.event.CredentialsRotatedEvent;
import io.github.vaultdatasource.event.LeaseFailureEvent;
import io.github.vaultdatasource.event.LeaseRenewedEvent;
import io.github.vaultdatasource.event.LeaseRevokedEvent;
import io.github.vaultdatasource.event.VaultDataSourceEvent;
import io.github.vaultdatasource.lease.LeaseStatus.State;
import io.github.vaultdatasource.lease.RecordingCredentialsTarget.Switch;
import io.github.vaultdatasource.vault.VaultRequestException;
import io.github.vaultdatasource.vault.VaultRequestException.Failure;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.context.ApplicationEvent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link LeaseLifecycle}, driven by a manual scheduler and clock. With a lease of 60s,
 * renewal at half of it, no jitter and a drain share of 0.4, renewals fall due 30s after issue
 * and a lease that cannot be renewed further is rotated 24s before it expires.
 */
class LeaseLifecycleTests {

	private static final Instant T0 = Instant.parse("2025-01-01T10:00:00Z");

	private final List<String> log = new ArrayList<>();

	private final MutableClock clock = new MutableClock(T0);

	private final ManualScheduler scheduler = new ManualScheduler(this.clock);

	private final FakeDatabaseSecretsClient client = new FakeDatabaseSecretsClient(this.clock, this.log);

	private final RecordingCredentialsTarget target = new RecordingCredentialsTarget(this.log);

	private final List<ApplicationEvent> events = new ArrayList<>();

	private final RecordingTokens tokens = new RecordingTokens(this.log);

	private LeasePolicy policy = new LeasePolicy(0.5, 0, 0.4, Duration.ofSeconds(1), Duration.ofSeconds(1),
			Duration.ofSeconds(30), new SplittableRandom(7));

	private LeaseLifecycle lifecycle;

	@AfterEach
	void noTaskFailedUnexpectedly() {
		assertThat(this.scheduler.taskFailures()).isEmpty();
	}

	@Test
	void startIssuesInstallsAndPublishesIssuedEvent() {
		this.client.issueLatency(Duration.ofMillis(120));
		start();
		CredentialLease first = this.client.issued().get(0);
		assertThat(this.target.installed()).containsExactly(first.credentials());
		assertThat(this.log).startsWith("issue v-1", "install v-1");
		assertThat(this.events).singleElement().isInstanceOfSatisfying(CredentialsIssuedEvent.class, (event) -> {
			assertThat(event.getDataSourceName()).isEqualTo("dataSource");
			assertThat(event.getUsername()).isEqualTo("v-1");
			assertThat(event.getShortLeaseId()).isEqualTo(first.shortLeaseId());
			assertThat(event.getTtl()).isEqualTo(Duration.ofSeconds(60));
			assertThat(event.getIssueLatency()).isEqualTo(Duration.ofMillis(120));
		});
		assertThat(this.lifecycle.status().state()).isEqualTo(State.ACTIVE);
	}

	@Test
	void startSchedulesFirstRenewalAtHalfTheTtl() {
		start();
		assertThat(this.lifecycle.status().nextAction()).isEqualTo(NextAction.RENEW);
		assertThat(this.lifecycle.status().nextActionAt()).isEqualTo(T0.plusSeconds(30));
		this.scheduler.advance(Duration.ofMillis(29_999));
		assertThat(this.client.renewed()).isEmpty();
		this.scheduler.advance(Duration.ofMillis(1));
		assertThat(this.client.renewed()).extracting(CredentialLease::username).containsExactly("v-1");
		assertThat(this.client.renewIncrements()).containsExactly(Duration.ofSeconds(60));
	}

	@Test
	void startWithJitterSchedulesFirstRenewalAroundHalfTheTtl() {
		this.policy = new LeasePolicy(0.5, 0.1, 0.4, Duration.ofSeconds(1), Duration.ofSeconds(1),
				Duration.ofSeconds(30), new SplittableRandom(7));
		start();
		assertThat(this.lifecycle.status().nextActionAt()).isBetween(T0.plusSeconds(27), T0.plusSeconds(33));
	}

	@Test
	void startFailsWhenVaultCannotIssue() {
		this.client.failIssue(Failure.UNAVAILABLE);
		this.lifecycle = newLifecycle();
		assertThatExceptionOfType(VaultRequestException.class).isThrownBy(this.lifecycle::start)
			.satisfies((ex) -> assertThat(ex.getFailure()).isEqualTo(Failure.UNAVAILABLE));
		assertThat(this.target.installed()).isEmpty();
		assertThat(this.events).isEmpty();
		assertThat(this.scheduler.pendingTasks()).isZero();
		assertThat(this.lifecycle.status().state()).isEqualTo(State.STARTING);
	}

	@Test
	void successfulRenewalExtendsLeaseAndSchedulesNextRenewal() {
		start();
		this.scheduler.advance(Duration.ofSeconds(30));
		assertThat(events(LeaseRenewedEvent.class)).singleElement().satisfies((event) -> {
			assertThat(event.getUsername()).isEqualTo("v-1");
			assertThat(event.getGranted()).isEqualTo(Duration.ofSeconds(60));
			assertThat(event.isCapped()).isFalse();
		});
		LeaseStatus status = this.lifecycle.status();
		assertThat(status.expiresAt()).isEqualTo(T0.plusSeconds(90));
		assertThat(status.lastRenewal()).isEqualTo(T0.plusSeconds(30));
		assertThat(status.renewals()).isEqualTo(1);
		assertThat(status.nextAction()).isEqualTo(NextAction.RENEW);
		assertThat(status.nextActionAt()).isEqualTo(T0.plusSeconds(60));
		this.scheduler.advance(Duration.ofSeconds(30));
		assertThat(this.lifecycle.status().renewals()).isEqualTo(2);
		assertThat(this.lifecycle.status().expiresAt()).isEqualTo(T0.plusSeconds(120));
		assertThat(this.client.issued()).hasSize(1);
		assertThat(this.target.switches()).isEmpty();
	}

	@Test
	void cappedRenewalSchedulesRotationDrainBudgetBeforeExpiry() {
		this.client.grantRenewal(Duration.ofSeconds(40), true, true);
		start();
		this.scheduler.advance(Duration.ofSeconds(30));
		assertThat(events(LeaseRenewedEvent.class)).singleElement()
			.satisfies((event) -> assertThat(event.isCapped()).isTrue());
		LeaseStatus status = this.lifecycle.status();
		assertThat(status.expiresAt()).isEqualTo(T0.plusSeconds(70));
		assertThat(status.nextAction()).isEqualTo(NextAction.ROTATE);
		assertThat(status.nextActionAt()).isEqualTo(T0.plusSeconds(46));
		this.scheduler.advance(Duration.ofMillis(15_999));
		assertThat(this.client.issued()).hasSize(1);
		this.scheduler.advance(Duration.ofMillis(1));
		assertThat(this.client.issued()).hasSize(2);
	}

	@Test
	void rotationAtMaxTtlValidatesSwitchesDrainsAndRevokesOldLease() {
		this.client.grantRenewal(Duration.ofSeconds(40), true, true);
		start();
		CredentialLease first = this.client.issued().get(0);
		this.scheduler.advance(Duration.ofSeconds(46));
		CredentialLease second = this.client.issued().get(1);
		assertThat(this.target.validated()).containsExactly(second.credentials());
		assertThat(this.target.switches()).singleElement().satisfies((change) -> {
			assertThat(change.next()).isEqualTo(second.credentials());
			assertThat(change.previous()).isEqualTo(first.credentials());
			assertThat(change.drainDeadline()).isAfter(T0.plusSeconds(46)).isBefore(T0.plusSeconds(70));
		});
		assertThat(this.client.revoked()).extracting(CredentialLease::leaseId).containsExactly(first.leaseId());
		assertThat(this.log).containsSubsequence("issue v-2", "validate v-2", "switch v-2 <- v-1", "revoke v-1");
		assertThat(this.target.currentUsername()).isEqualTo("v-2");
		List<VaultDataSourceEvent> rotationEvents = this.events.stream()
			.skip(2)
			.map(VaultDataSourceEvent.class::cast)
			.toList();
		assertThat(rotationEvents).hasExactlyElementsOfTypes(CredentialsIssuedEvent.class, LeaseRevokedEvent.class,
				CredentialsRotatedEvent.class);
		assertThat(rotationEvents.get(0).getUsername()).isEqualTo("v-2");
		assertThat((LeaseRevokedEvent) rotationEvents.get(1)).satisfies((event) -> {
			assertThat(event.getUsername()).isEqualTo("v-1");
			assertThat(event.getShortLeaseId()).isEqualTo(first.shortLeaseId());
			assertThat(event.isShutdown()).isFalse();
		});
		assertThat((CredentialsRotatedEvent) rotationEvents.get(2)).satisfies((event) -> {
			assertThat(event.getUsername()).isEqualTo("v-2");
			assertThat(event.getShortLeaseId()).isEqualTo(second.shortLeaseId());
			assertThat(event.getPreviousUsername()).isEqualTo("v-1");
			assertThat(event.getReason()).isEqualTo(RotationReason.MAX_TTL);
			assertThat(event.getOldConnectionsLeft()).isZero();
			assertThat(event.getSwitchDuration()).isEqualTo(Duration.ofMillis(5));
			assertThat(event.getDrainDuration()).isEqualTo(Duration.ofMillis(20));
		});
		LeaseStatus status = this.lifecycle.status();
		assertThat(status.state()).isEqualTo(State.ACTIVE);
		assertThat(status.username()).isEqualTo("v-2");
		assertThat(status.issuedAt()).isEqualTo(T0.plusSeconds(46));
		assertThat(status.lastRotation()).isEqualTo(T0.plusSeconds(46));
		assertThat(status.rotations()).isEqualTo(1);
		assertThat(status.revocations()).isEqualTo(1);
		assertThat(status.nextAction()).isEqualTo(NextAction.RENEW);
		assertThat(status.nextActionAt()).isEqualTo(T0.plusSeconds(76));
	}

	@Test
	void newLeaseAfterRotationIsRenewedWithItsOwnTtl() {
		this.client.grantRenewal(Duration.ofSeconds(40), true, true);
		start();
		this.scheduler.advance(Duration.ofSeconds(46));
		this.client.ttl(Duration.ofSeconds(100));
		this.scheduler.advance(Duration.ofSeconds(30));
		assertThat(this.client.renewed()).extracting(CredentialLease::username).containsExactly("v-1", "v-2");
		assertThat(this.client.renewIncrements()).containsOnly(Duration.ofSeconds(60));
	}

	@Test
	void newLeaseIsRenewedCountingFromItsIssueNotFromTheEndOfTheDrain() {
		this.client.grantRenewal(Duration.ofSeconds(40), true, true);
		this.target.duringSwitch(() -> this.clock.advance(Duration.ofSeconds(10)));
		start();
		this.scheduler.advance(Duration.ofSeconds(46));
		assertThat(this.lifecycle.status().username()).isEqualTo("v-2");
		assertThat(this.lifecycle.status().nextAction()).isEqualTo(NextAction.RENEW);
		assertThat(this.lifecycle.status().nextActionAt()).isEqualTo(T0.plusSeconds(76));
	}

	@Test
	void nonRenewableLeaseIsRotatedBeforeItExpires() {
		this.client.renewable(false);
		start();
		assertThat(this.lifecycle.status().nextAction()).isEqualTo(NextAction.ROTATE);
		assertThat(this.lifecycle.status().nextActionAt()).isEqualTo(T0.plusSeconds(36));
		this.scheduler.advance(Duration.ofSeconds(36));
		assertThat(this.client.renewed()).isEmpty();
		assertThat(events(CredentialsRotatedEvent.class)).singleElement()
			.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.NOT_RENEWABLE));
		assertThat(this.client.revokedUsernames()).containsExactly("v-1");
		assertThat(this.lifecycle.status().nextActionAt()).isEqualTo(T0.plusSeconds(72));
	}

	@Test
	void renewalThatIsNoLongerRenewableLeadsToRotation() {
		this.client.grantRenewal(Duration.ofSeconds(60), false, false);
		start();
		this.scheduler.advance(Duration.ofSeconds(30));
		assertThat(this.lifecycle.status().nextAction()).isEqualTo(NextAction.ROTATE);
		assertThat(this.lifecycle.status().nextActionAt()).isEqualTo(T0.plusSeconds(66));
		this.scheduler.advance(Duration.ofSeconds(36));
		assertThat(events(CredentialsRotatedEvent.class)).singleElement()
			.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.NOT_RENEWABLE));
	}

	@Test
	void unavailableVaultKeepsCredentialsAndRetriesRenewalWithBackoff() {
		this.client.failRenewal(Failure.UNAVAILABLE);
		start();
		this.scheduler.advance(Duration.ofSeconds(30));
		assertThat(events(LeaseFailureEvent.class)).singleElement().satisfies((event) -> {
			assertThat(event.getKind()).isEqualTo(FailureKind.RENEWAL);
			assertThat(event.getUsername()).isEqualTo("v-1");
			assertThat(event.getConsecutiveFailures()).isEqualTo(1);
			assertThat(event.getMessage()).contains("503");
		});
		assertThat(this.target.switches()).isEmpty();
		assertThat(this.client.issued()).hasSize(1);
		assertThat(this.target.currentUsername()).isEqualTo("v-1");
		LeaseStatus failing = this.lifecycle.status();
		assertThat(failing.state()).isEqualTo(State.FAILING);
		assertThat(failing.consecutiveFailures()).isEqualTo(1);
		assertThat(failing.lastFailure()).startsWith("RENEWAL").contains("503");
		assertThat(failing.nextAction()).isEqualTo(NextAction.RENEW);
		assertThat(failing.nextActionAt()).isEqualTo(T0.plusSeconds(31))
			.isBefore(failing.expiresAt());
		this.scheduler.advance(Duration.ofSeconds(1));
		LeaseStatus recovered = this.lifecycle.status();
		assertThat(recovered.state()).isEqualTo(State.ACTIVE);
		assertThat(recovered.consecutiveFailures()).isZero();
		assertThat(recovered.lastFailure()).isNull();
		assertThat(recovered.renewals()).isEqualTo(1);
		assertThat(recovered.failures()).isEqualTo(1);
		assertThat(recovered.nextAction()).isEqualTo(NextAction.RENEW);
		assertThat(recovered.nextActionAt()).isEqualTo(T0.plusSeconds(61));
	}

	@Test
	void retriesBackOffExponentiallyWhileVaultStaysUnavailable() {
		this.client.failRenewal(Failure.UNAVAILABLE, Failure.UNAVAILABLE);
		start();
		this.scheduler.advance(Duration.ofSeconds(30));
		assertThat(this.lifecycle.status().nextActionAt()).isEqualTo(T0.plusSeconds(31));
		this.scheduler.advance(Duration.ofSeconds(1));
		assertThat(this.lifecycle.status().consecutiveFailures()).isEqualTo(2);
		assertThat(this.lifecycle.status().nextActionAt()).isEqualTo(T0.plusSeconds(33));
		this.scheduler.advance(Duration.ofSeconds(2));
		assertThat(this.lifecycle.status().consecutiveFailures()).isZero();
		assertThat(this.lifecycle.status().state()).isEqualTo(State.ACTIVE);
		assertThat(this.target.switches()).isEmpty();
	}

	@Test
	void renewalsFailingIntoDrainBudgetLeadToRotation() {
		this.client.failRenewalAlways(Failure.UNAVAILABLE);
		start();
		this.scheduler.advance(Duration.ofSeconds(35));
		assertThat(this.client.renewed()).hasSizeGreaterThan(1);
		assertThat(this.target.switches()).isEmpty();
		assertThat(this.lifecycle.status().nextAction()).isEqualTo(NextAction.ROTATE);
		this.scheduler.advance(Duration.ofSeconds(5));
		assertThat(events(CredentialsRotatedEvent.class)).singleElement()
			.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.RENEWAL_FAILING));
		assertThat(this.target.switches()).singleElement()
			.satisfies((change) -> assertThat(change.drainDeadline()).isBefore(T0.plusSeconds(60)));
		assertThat(this.target.currentUsername()).isEqualTo("v-2");
		assertThat(this.lifecycle.status().consecutiveFailures()).isZero();
	}

	@Test
	void leaseGoneRotatesAtOnce() {
		start();
		CredentialLease first = this.client.issued().get(0);
		this.client.revokeBehindOurBack(first);
		this.scheduler.advance(Duration.ofSeconds(30));
		assertThat(events(LeaseFailureEvent.class)).singleElement()
			.satisfies((event) -> assertThat(event.getKind()).isEqualTo(FailureKind.RENEWAL));
		assertThat(events(CredentialsRotatedEvent.class)).singleElement()
			.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.LEASE_GONE));
		// Connections of a revoked user fail anyway, so there is no point draining them for long.
		assertThat(this.target.switches()).singleElement()
			.satisfies((change) -> assertThat(change.drainDeadline()).isEqualTo(T0.plusSeconds(32)));
		assertThat(events(LeaseRevokedEvent.class)).isEmpty();
		assertThat(this.lifecycle.status().state()).isEqualTo(State.ACTIVE);
		assertThat(this.lifecycle.status().username()).isEqualTo("v-2");
	}

	@Test
	void leaseGoneIsReportedRevokedUntilNewCredentialsAreIssued() {
		start();
		this.client.revokeBehindOurBack(this.client.issued().get(0));
		this.client.failIssue(Failure.UNAVAILABLE);
		this.scheduler.advance(Duration.ofSeconds(30));
		LeaseStatus revoked = this.lifecycle.status();
		assertThat(revoked.state()).isEqualTo(State.REVOKED);
		assertThat(revoked.nextAction()).isEqualTo(NextAction.ROTATE);
		assertThat(revoked.nextActionAt()).isEqualTo(T0.plusSeconds(32));
		assertThat(events(LeaseFailureEvent.class)).extracting(LeaseFailureEvent::getKind)
			.containsExactly(FailureKind.RENEWAL, FailureKind.ISSUE);
		assertThat(this.target.switches()).isEmpty();
		this.scheduler.advance(Duration.ofSeconds(2));
		assertThat(events(CredentialsRotatedEvent.class)).singleElement()
			.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.LEASE_GONE));
		assertThat(this.lifecycle.status().state()).isEqualTo(State.ACTIVE);
		assertThat(this.lifecycle.status().consecutiveFailures()).isZero();
	}

	@Test
	void permissionDeniedDropsTokenThenRotates() {
		this.client.failRenewal(Failure.PERMISSION_DENIED);
		start();
		this.scheduler.advance(Duration.ofSeconds(30));
		assertThat(this.tokens.invalidations()).isEqualTo(1);
		assertThat(this.log).containsSubsequence("renew v-1", "invalidate token", "issue v-2", "switch v-2 <- v-1");
		assertThat(events(CredentialsRotatedEvent.class)).singleElement()
			.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.LEASE_GONE));
		assertThat(this.lifecycle.status().username()).isEqualTo("v-2");
	}

	@Test
	void permissionDeniedWithStaticTokenRetriesRenewalInsteadOfRotating() {
		this.tokens.canLogIn = false;
		this.client.failRenewal(Failure.PERMISSION_DENIED);
		start();
		this.scheduler.advance(Duration.ofSeconds(30));
		assertThat(this.tokens.invalidations()).isEqualTo(1);
		assertThat(this.client.issued()).hasSize(1);
		LeaseStatus status = this.lifecycle.status();
		assertThat(status.state()).isEqualTo(State.FAILING);
		assertThat(status.nextAction()).isEqualTo(NextAction.RENEW);
		assertThat(status.nextActionAt()).isEqualTo(T0.plusSeconds(31));
		this.scheduler.advance(Duration.ofSeconds(1));
		assertThat(this.lifecycle.status().state()).isEqualTo(State.ACTIVE);
		assertThat(this.target.switches()).isEmpty();
	}

	@Test
	void rejectedNewCredentialsKeepOldOnesRevokeNewLeaseAndRetry() {
		start();
		this.target.failNextValidations(1);
		this.clock.advance(Duration.ofSeconds(10));
		this.lifecycle.rotateNow(RotationReason.FORCED);
		this.scheduler.runDue();
		assertThat(this.client.revokedUsernames()).containsExactly("v-2");
		assertThat(this.target.switches()).isEmpty();
		assertThat(this.target.currentUsername()).isEqualTo("v-1");
		assertThat(events(LeaseFailureEvent.class)).singleElement().satisfies((event) -> {
			assertThat(event.getKind()).isEqualTo(FailureKind.VALIDATION);
			assertThat(event.getMessage()).contains("v-2");
		});
		LeaseStatus failing = this.lifecycle.status();
		assertThat(failing.state()).isEqualTo(State.FAILING);
		assertThat(failing.username()).isEqualTo("v-1");
		assertThat(failing.nextAction()).isEqualTo(NextAction.ROTATE);
		assertThat(failing.nextActionAt()).isEqualTo(T0.plusSeconds(11));
		this.scheduler.advance(Duration.ofSeconds(1));
		assertThat(this.target.switches()).singleElement().satisfies((change) -> {
			assertThat(change.next().username()).isEqualTo("v-3");
			assertThat(change.previous().username()).isEqualTo("v-1");
		});
		assertThat(this.client.revokedUsernames()).containsExactly("v-2", "v-1");
		assertThat(events(CredentialsRotatedEvent.class)).singleElement().satisfies((event) -> {
			assertThat(event.getReason()).isEqualTo(RotationReason.FORCED);
			assertThat(event.getPreviousUsername()).isEqualTo("v-1");
		});
		assertThat(this.lifecycle.status().state()).isEqualTo(State.ACTIVE);
	}

	@Test
	void failedIssueDuringRotationKeepsCredentialsAndRetries() {
		start();
		this.client.failIssue(Failure.UNAVAILABLE);
		this.clock.advance(Duration.ofSeconds(10));
		this.lifecycle.rotateNow(RotationReason.FORCED);
		this.scheduler.runDue();
		assertThat(events(LeaseFailureEvent.class)).singleElement()
			.satisfies((event) -> assertThat(event.getKind()).isEqualTo(FailureKind.ISSUE));
		assertThat(this.target.currentUsername()).isEqualTo("v-1");
		assertThat(this.lifecycle.status().nextAction()).isEqualTo(NextAction.ROTATE);
		this.scheduler.advance(Duration.ofSeconds(1));
		assertThat(events(CredentialsRotatedEvent.class)).singleElement()
			.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.FORCED));
	}

	@Test
	void loginFailureOfCurrentUserRotatesAtOnce() {
		start();
		this.clock.advance(Duration.ofSeconds(10));
		this.lifecycle.credentialsRejected("v-1", "28P01");
		this.scheduler.runDue();
		assertThat(events(CredentialsRotatedEvent.class)).singleElement()
			.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.CREDENTIALS_REJECTED));
		assertThat(this.target.currentUsername()).isEqualTo("v-2");
		assertThat(this.scheduler.pendingTasks()).isEqualTo(1);
		assertThat(this.lifecycle.status().nextActionAt()).isEqualTo(T0.plusSeconds(40));
	}

	@Test
	void loginFailureReportedWhenRenewalIsDueStillRotates() {
		start();
		this.clock.advance(Duration.ofSeconds(30));
		this.lifecycle.credentialsRejected("v-1", "28P01");
		this.scheduler.runDue();
		assertThat(this.client.renewed()).extracting(CredentialLease::username).containsExactly("v-1");
		assertThat(events(CredentialsRotatedEvent.class)).singleElement()
			.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.CREDENTIALS_REJECTED));
		assertThat(this.target.currentUsername()).isEqualTo("v-2");
	}

	@Test
	void permissionErrorWhileLeaseIsAliveIsTreatedAsApplicationError() {
		start();
		this.clock.advance(Duration.ofSeconds(10));
		this.lifecycle.credentialsRejected("v-1", "42501");
		this.scheduler.runDue();
		assertThat(this.client.renewed()).extracting(CredentialLease::username).containsExactly("v-1");
		assertThat(this.client.issued()).hasSize(1);
		assertThat(this.target.switches()).isEmpty();
		assertThat(this.lifecycle.status().state()).isEqualTo(State.ACTIVE);
		assertThat(this.lifecycle.status().nextAction()).isEqualTo(NextAction.RENEW);
		assertThat(this.lifecycle.status().nextActionAt()).isEqualTo(T0.plusSeconds(30));
	}

	@Test
	void permissionErrorAfterLeaseWasRevokedRotates() {
		start();
		this.client.revokeBehindOurBack(this.client.issued().get(0));
		this.clock.advance(Duration.ofSeconds(10));
		this.lifecycle.credentialsRejected("v-1", "42501");
		this.scheduler.runDue();
		assertThat(this.target.currentUsername()).isEqualTo("v-2");
		assertThat(events(CredentialsRotatedEvent.class)).singleElement()
			.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.LEASE_GONE));
		// The renewal of the old lease was cancelled: only the new lease's renewal is pending.
		assertThat(this.scheduler.pendingTasks()).isEqualTo(1);
		assertThat(this.lifecycle.status().nextActionAt()).isEqualTo(T0.plusSeconds(40));
	}

	@Test
	void rejectionOfUserThatIsNotCurrentIsIgnored() {
		start();
		this.clock.advance(Duration.ofSeconds(10));
		this.lifecycle.credentialsRejected("v-0", "28P01");
		this.scheduler.runDue();
		assertThat(this.client.issued()).hasSize(1);
		assertThat(this.client.renewed()).isEmpty();
		assertThat(this.scheduler.pendingTasks()).isEqualTo(1);
	}

	@Test
	void lateRejectionOfRotatedUserIsIgnored() {
		start();
		this.clock.advance(Duration.ofSeconds(10));
		this.lifecycle.rotateNow(RotationReason.FORCED);
		this.scheduler.runDue();
		this.clock.advance(Duration.ofSeconds(5));
		this.lifecycle.credentialsRejected("v-1", "28P01");
		this.scheduler.runDue();
		assertThat(this.client.issued()).hasSize(2);
		assertThat(this.target.currentUsername()).isEqualTo("v-2");
	}

	@Test
	void rejectionReportsAreRateLimited() {
		start();
		this.clock.advance(Duration.ofSeconds(10));
		this.lifecycle.credentialsRejected("v-1", "42501");
		this.scheduler.runDue();
		this.clock.advance(Duration.ofMillis(1999));
		this.lifecycle.credentialsRejected("v-1", "28P01");
		this.scheduler.runDue();
		assertThat(this.client.issued()).hasSize(1);
		this.clock.advance(Duration.ofMillis(1));
		this.lifecycle.credentialsRejected("v-1", "28P01");
		this.scheduler.runDue();
		assertThat(this.client.issued()).hasSize(2);
		assertThat(events(CredentialsRotatedEvent.class)).singleElement()
			.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.CREDENTIALS_REJECTED));
	}

	@Test
	void rotateNowRotatesAndReschedulesRenewal() {
		start();
		this.clock.advance(Duration.ofSeconds(10));
		this.lifecycle.rotateNow(RotationReason.FORCED);
		this.scheduler.runDue();
		assertThat(events(CredentialsRotatedEvent.class)).singleElement().satisfies((event) -> {
			assertThat(event.getReason()).isEqualTo(RotationReason.FORCED);
			assertThat(event.getPreviousUsername()).isEqualTo("v-1");
			assertThat(event.getUsername()).isEqualTo("v-2");
		});
		assertThat(this.client.revokedUsernames()).containsExactly("v-1");
		assertThat(this.scheduler.pendingTasks()).isEqualTo(1);
		assertThat(this.lifecycle.status().nextActionAt()).isEqualTo(T0.plusSeconds(40));
		this.scheduler.advance(Duration.ofSeconds(30));
		assertThat(this.client.renewed()).extracting(CredentialLease::username).containsExactly("v-2");
	}

	@Test
	void renewalAfterASlowRotationIsCountedFromWhenTheNewLeaseWasGranted() {
		start();
		this.target.duringSwitch(() -> this.clock.advance(Duration.ofSeconds(25)));
		this.lifecycle.rotateNow(RotationReason.FORCED);
		this.scheduler.runDue();
		// v-2 was granted at T0 for 60 s; draining v-1 took 25 s, so half the ttl is only 5 s away.
		assertThat(this.lifecycle.status().nextActionAt()).isEqualTo(T0.plusSeconds(30));
		this.target.duringSwitch(() -> this.clock.advance(Duration.ofSeconds(45)));
		this.clock.advance(Duration.ofSeconds(1));
		this.lifecycle.rotateNow(RotationReason.FORCED);
		this.scheduler.runDue();
		// Past the renewal point already: renew at once rather than after the lease has expired.
		assertThat(this.lifecycle.status().nextActionAt()).isEqualTo(T0.plusSeconds(71));
	}

	@Test
	void rotateNowIsSkippedWhenNewerCredentialsWereIssuedSinceTheRequest() {
		this.client.issueLatency(Duration.ofMillis(100));
		start();
		this.clock.advance(Duration.ofSeconds(10));
		this.lifecycle.rotateNow(RotationReason.TOKEN_RELOGIN);
		this.lifecycle.rotateNow(RotationReason.TOKEN_RELOGIN);
		this.scheduler.runDue();
		assertThat(this.client.issued()).hasSize(2);
		assertThat(events(CredentialsRotatedEvent.class)).singleElement()
			.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.TOKEN_RELOGIN));
	}

	@Test
	void stopClosesPoolBeforeRevokingLease() {
		start();
		CredentialLease first = this.client.issued().get(0);
		this.clock.advance(Duration.ofSeconds(10));
		this.lifecycle.stop(() -> this.log.add("close pool"), true);
		assertThat(this.log).containsSubsequence("close pool", "revoke v-1");
		assertThat(this.client.revoked()).containsExactly(first);
		assertThat(events(LeaseRevokedEvent.class)).singleElement().satisfies((event) -> {
			assertThat(event.getUsername()).isEqualTo("v-1");
			assertThat(event.isShutdown()).isTrue();
		});
		LeaseStatus status = this.lifecycle.status();
		assertThat(status.state()).isEqualTo(State.STOPPED);
		assertThat(status.nextAction()).isEqualTo(NextAction.NONE);
		assertThat(status.nextActionAt()).isNull();
		assertThat(status.revocations()).isEqualTo(1);
		assertThat(this.scheduler.isClosed()).isTrue();
	}

	@Test
	void stoppedLifecycleDoesNothingMore() {
		start();
		this.lifecycle.stop(() -> {
		}, true);
		this.lifecycle.rotateNow(RotationReason.FORCED);
		this.lifecycle.credentialsRejected("v-1", "28P01");
		this.scheduler.advance(Duration.ofMinutes(5));
		assertThat(this.client.issued()).hasSize(1);
		assertThat(this.client.renewed()).isEmpty();
		assertThat(this.lifecycle.status().state()).isEqualTo(State.STOPPED);
	}

	@Test
	void stopWithoutRevocationKeepsLease() {
		start();
		List<String> closed = new ArrayList<>();
		this.lifecycle.stop(() -> closed.add("closed"), false);
		assertThat(closed).containsExactly("closed");
		assertThat(this.client.revoked()).isEmpty();
		assertThat(events(LeaseRevokedEvent.class)).isEmpty();
		assertThat(this.lifecycle.status().state()).isEqualTo(State.STOPPED);
		assertThat(this.lifecycle.status().revocations()).isZero();
	}

	@Test
	void stopSurvivesFailedRevocation() {
		start();
		this.client.failRevocation(Failure.UNAVAILABLE);
		this.lifecycle.stop(() -> {
		}, true);
		assertThat(events(LeaseRevokedEvent.class)).isEmpty();
		assertThat(this.lifecycle.status().state()).isEqualTo(State.STOPPED);
	}

	@Test
	void statusBeforeStartIsStarting() {
		this.lifecycle = newLifecycle();
		LeaseStatus status = this.lifecycle.status();
		assertThat(status.state()).isEqualTo(State.STARTING);
		assertThat(status.username()).isNull();
		assertThat(status.shortLeaseId()).isNull();
		assertThat(status.timeToExpiry()).isNull();
		assertThat(status.nextAction()).isEqualTo(NextAction.NONE);
	}

	@Test
	void statusDescribesActiveLease() {
		start();
		this.clock.advance(Duration.ofSeconds(10));
		LeaseStatus status = this.lifecycle.status();
		assertThat(status.dataSourceName()).isEqualTo("dataSource");
		assertThat(status.role()).isEqualTo("app");
		assertThat(status.state()).isEqualTo(State.ACTIVE);
		assertThat(status.username()).isEqualTo("v-1");
		assertThat(status.shortLeaseId()).isEqualTo("database/creds/app/…0001");
		assertThat(status.issuedAt()).isEqualTo(T0);
		assertThat(status.expiresAt()).isEqualTo(T0.plusSeconds(60));
		assertThat(status.timeToExpiry()).isEqualTo(Duration.ofSeconds(50));
		assertThat(status.renewable()).isTrue();
		assertThat(status.lastRenewal()).isNull();
		assertThat(status.lastRotation()).isNull();
		assertThat(status.consecutiveFailures()).isZero();
		assertThat(status.lastFailure()).isNull();
		assertThat(status.nextAction()).isEqualTo(NextAction.RENEW);
		assertThat(status.nextActionAt()).isEqualTo(T0.plusSeconds(30));
		assertThat(status.renewals()).isZero();
		assertThat(status.rotations()).isZero();
		assertThat(status.failures()).isZero();
		assertThat(status.revocations()).isZero();
		assertThat(this.lifecycle.name()).isEqualTo("dataSource");
	}

	@Test
	void statusIsExpiredWhenNoCredentialsCouldBeIssuedBeforeExpiry() {
		start();
		this.client.failRenewalAlways(Failure.UNAVAILABLE).failIssueAlways(Failure.UNAVAILABLE);
		this.scheduler.advance(Duration.ofSeconds(59));
		assertThat(this.lifecycle.status().state()).isEqualTo(State.FAILING);
		this.scheduler.advance(Duration.ofSeconds(2));
		LeaseStatus status = this.lifecycle.status();
		assertThat(status.state()).isEqualTo(State.EXPIRED);
		assertThat(status.timeToExpiry()).isNegative();
		assertThat(status.consecutiveFailures()).isGreaterThan(3);
		assertThat(status.failures()).isEqualTo(status.consecutiveFailures());
		assertThat(status.nextAction()).isEqualTo(NextAction.ROTATE);
		assertThat(status.nextActionAt()).isAfter(this.clock.instant());
		assertThat(this.target.installed()).hasSize(1);
		assertThat(this.target.switches()).isEmpty();
	}

	@Test
	void retriesNeverWaitLongerThanTheRemainingValidityAllows() {
		start();
		this.client.failRenewalAlways(Failure.UNAVAILABLE).failIssueAlways(Failure.UNAVAILABLE);
		while (this.clock.instant().isBefore(T0.plusSeconds(59))) {
			LeaseStatus status = this.lifecycle.status();
			if (status.consecutiveFailures() > 0) {
				assertThat(status.nextActionAt()).isBefore(status.expiresAt());
			}
			this.scheduler.advance(Duration.ofMillis(100));
		}
	}

	@Test
	void eventsStatusAndToStringNeverShowPasswordsOrFullLeaseIds() {
		this.client.failRenewal(Failure.UNAVAILABLE).grantRenewal(Duration.ofSeconds(40), true, true);
		start();
		this.scheduler.advance(Duration.ofSeconds(30));
		List<String> seen = new ArrayList<>();
		seen.add(this.lifecycle.status().toString());
		this.scheduler.advance(Duration.ofSeconds(1));
		this.target.failNextValidations(1);
		this.scheduler.advance(Duration.ofSeconds(20));
		seen.add(this.lifecycle.status().toString());
		this.scheduler.advance(Duration.ofSeconds(5));
		this.client.revokeBehindOurBack(this.lifecycle.currentLease());
		this.client.failIssue(Failure.PERMISSION_DENIED);
		this.scheduler.advance(Duration.ofSeconds(60));
		seen.add(this.lifecycle.status().toString());
		this.lifecycle.stop(() -> {
		}, true);
		seen.add(this.lifecycle.status().toString());
		seen.add(this.lifecycle.toString());
		this.events.forEach((event) -> seen.add(describe(event)));
		assertThat(events(CredentialsRotatedEvent.class)).isNotEmpty();
		assertThat(events(LeaseFailureEvent.class)).extracting(LeaseFailureEvent::getKind)
			.contains(FailureKind.RENEWAL, FailureKind.VALIDATION, FailureKind.ISSUE);
		assertThat(this.client.issued()).hasSizeGreaterThanOrEqualTo(3);
		for (CredentialLease lease : this.client.issued()) {
			String password = lease.credentials().password();
			String random = lease.leaseId().substring(lease.leaseId().lastIndexOf('/') + 1);
			assertThat(seen).allSatisfy((text) -> assertThat(text).doesNotContain(password)
				.doesNotContain(lease.leaseId())
				.doesNotContain(random));
		}
	}

	@Test
	void unexpectedRenewalExceptionIsRetried() {
		this.client.throwOnRenewal(new IllegalStateException("Unexpected response from Vault"));
		start();
		this.scheduler.advance(Duration.ofSeconds(30));
		LeaseStatus status = this.lifecycle.status();
		assertThat(status.state()).isEqualTo(State.FAILING);
		assertThat(status.nextActionAt()).isAfter(this.clock.instant());
		this.scheduler.advance(Duration.ofSeconds(5));
		assertThat(this.client.renewed()).hasSize(2);
		assertThat(this.lifecycle.status().state()).isEqualTo(State.ACTIVE);
	}

	@Test
	void unexpectedSwitchExceptionKeepsLeaseManaged() {
		start();
		this.target.failNextSwitch(new IllegalStateException("Pool is shutting down"));
		this.clock.advance(Duration.ofSeconds(10));
		this.lifecycle.rotateNow(RotationReason.FORCED);
		this.scheduler.runDue();
		assertThat(this.lifecycle.status().nextActionAt()).isAfter(this.clock.instant());
		this.scheduler.advance(Duration.ofSeconds(60));
		assertThat(this.client.renewed()).extracting(CredentialLease::username).contains("v-2");
		assertThat(this.lifecycle.status().state()).isEqualTo(State.ACTIVE);
	}

	private void start() {
		this.lifecycle = newLifecycle();
		this.lifecycle.start();
		this.scheduler.runDue();
	}

	private LeaseLifecycle newLifecycle() {
		return new LeaseLifecycle("dataSource", "app", this.client, this.target, this.scheduler, this.clock,
				this.policy, (event) -> this.events.add((ApplicationEvent) event), this.tokens);
	}

	private <E> List<E> events(Class<E> type) {
		return this.events.stream().filter(type::isInstance).map(type::cast).toList();
	}

	/**
	 * Return everything an event shows to listeners: its string form and every getter.
	 */
	private static String describe(ApplicationEvent event) {
		StringBuilder description = new StringBuilder(event.toString());
		for (Method method : event.getClass().getMethods()) {
			if (method.getParameterCount() == 0 && Modifier.isPublic(method.getModifiers())
					&& (method.getName().startsWith("get") || method.getName().startsWith("is"))
					&& method.getDeclaringClass() != Object.class) {
				try {
					description.append(' ').append(method.invoke(event));
				}
				catch (ReflectiveOperationException ex) {
					throw new IllegalStateException(ex);
				}
			}
		}
		return description.toString();
	}

	static final class RecordingTokens implements LeaseLifecycle.TokenSupport {

		private final List<String> log;

		boolean canLogIn = true;

		private int invalidations;

		RecordingTokens(List<String> log) {
			this.log = log;
		}

		int invalidations() {
			return this.invalidations;
		}

		@Override
		public boolean invalidate() {
			this.invalidations++;
			this.log.add("invalidate token");
			return this.canLogIn;
		}

	}

}
