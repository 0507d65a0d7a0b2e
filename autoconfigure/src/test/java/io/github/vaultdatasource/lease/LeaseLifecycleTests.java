package io.github.vaultdatasource.lease;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

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
import io.github.vaultdatasource.lease.LeaseCounters.RenewalOutcome;
import io.github.vaultdatasource.lease.LeaseStatus.State;
import io.github.vaultdatasource.lease.ManualScheduler.Lane;
import io.github.vaultdatasource.lease.RecordingCredentialsTarget.FakeRetirement;
import io.github.vaultdatasource.vault.VaultRequestException;
import io.github.vaultdatasource.vault.VaultRequestException.Failure;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import org.springframework.context.ApplicationEvent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link LeaseLifecycle}, driven by a manual scheduler and clock. With a lease of 60s,
 * renewal at half of it, no jitter and a drain share of 0.4, renewals fall due 30s after the
 * request that granted the lease, and a lease that cannot be renewed further is rotated 24s
 * before it ends.
 */
class LeaseLifecycleTests {

	private static final Instant T0 = Instant.parse("2025-01-01T10:00:00Z");

	private final List<String> log = new ArrayList<>();

	private final MutableClock clock = new MutableClock(T0);

	private final ManualScheduler scheduler = new ManualScheduler(this.clock);

	private final Lane main = this.scheduler.lane("main");

	private final Lane retire = this.scheduler.lane("drain");

	private final Lane calls = this.scheduler.lane("calls");

	private final Lane revocations = this.scheduler.lane("revocations");

	private final Lane newLease = this.scheduler.lane("new-lease");

	private final FakeDatabaseSecretsClient client = new FakeDatabaseSecretsClient(this.clock, this.log);

	private final RecordingCredentialsTarget target = new RecordingCredentialsTarget(this.log);

	private final List<ApplicationEvent> events = new ArrayList<>();

	private final RecordingTokens tokens = new RecordingTokens(this.log);

	private LeasePolicy policy = new LeasePolicy(0.5, 0, 0.4, Duration.ofSeconds(1), Duration.ofSeconds(1),
			Duration.ofSeconds(30), new SplittableRandom(7));

	private LeaseLifecycle lifecycle;

	@AfterEach
	void noTaskFailedAndSomethingIsAlwaysPlanned() {
		assertThat(this.scheduler.taskFailures()).isEmpty();
		if (this.lifecycle != null && this.lifecycle.status().state() != State.STOPPED
				&& this.lifecycle.status().state() != State.STARTING) {
			assertThat(this.main.pendingTasks()).as("tasks planned on the main strand").isEqualTo(1);
		}
	}

	@Nested
	class Start {

		@Test
		void issuesValidatesInstallsAndPublishesIssuedEvent() {
			LeaseLifecycleTests.this.client.issueLatency(Duration.ofMillis(120));
			start();
			CredentialLease first = client().issued().get(0);
			assertThat(target().installed()).containsExactly(first.credentials());
			assertThat(log()).startsWith("issue v-1", "validate v-1", "install v-1");
			assertThat(events()).singleElement().isInstanceOfSatisfying(CredentialsIssuedEvent.class, (event) -> {
				assertThat(event.getDataSourceName()).isEqualTo("dataSource");
				assertThat(event.getUsername()).isEqualTo("v-1");
				assertThat(event.getShortLeaseId()).isEqualTo(first.shortLeaseId());
				assertThat(event.getTtl()).isEqualTo(Duration.ofSeconds(60));
				assertThat(event.getIssueLatency()).isEqualTo(Duration.ofMillis(120));
			});
			assertThat(status().state()).isEqualTo(State.ACTIVE);
			assertThat(status().counts().issued()).isEqualTo(1);
		}

		@Test
		void countsTheLeaseFromWhenTheRequestWasSentNotWhenTheAnswerCame() {
			LeaseLifecycleTests.this.client.issueLatency(Duration.ofMillis(1500));
			start();
			assertThat(status().lease().issuedAt()).isEqualTo(T0);
			assertThat(status().lease().expiresAt()).isEqualTo(T0.plusSeconds(60));
		}

		@Test
		void plansTheFirstRenewalAtHalfTheTtl() {
			start();
			assertThat(status().next().action()).isEqualTo(NextAction.RENEW);
			assertThat(status().next().at()).isEqualTo(T0.plusSeconds(30));
			advance(Duration.ofMillis(29_999));
			assertThat(client().renewed()).isEmpty();
			advance(Duration.ofMillis(1));
			assertThat(client().renewed()).extracting(CredentialLease::username).containsExactly("v-1");
			assertThat(client().renewIncrements()).containsExactly(Duration.ofSeconds(60));
		}

		@Test
		void withJitterPlansTheFirstRenewalAroundHalfTheTtl() {
			LeaseLifecycleTests.this.policy = new LeasePolicy(0.5, 0.1, 0.4, Duration.ofSeconds(1),
					Duration.ofSeconds(1), Duration.ofSeconds(30), new SplittableRandom(7));
			start();
			assertThat(status().next().at()).isBetween(T0.plusSeconds(27), T0.plusSeconds(33));
		}

		@Test
		void failsWhenVaultCannotIssue() {
			client().failIssue(Failure.UNAVAILABLE);
			LeaseLifecycleTests.this.lifecycle = newLifecycle();
			assertThatExceptionOfType(VaultRequestException.class).isThrownBy(LeaseLifecycleTests.this.lifecycle::start)
				.satisfies((ex) -> assertThat(ex.getFailure()).isEqualTo(Failure.UNAVAILABLE));
			assertThat(target().installed()).isEmpty();
			assertThat(events()).isEmpty();
			assertThat(LeaseLifecycleTests.this.scheduler.pendingTasks()).isZero();
			assertThat(status().state()).isEqualTo(State.STARTING);
		}

		@Test
		void failsAndRevokesWhenTheDatabaseDoesNotAcceptTheFirstCredentials() {
			target().failValidationWith(new SQLException("FATAL: database \"apdb\" does not exist", "3D000"));
			LeaseLifecycleTests.this.lifecycle = newLifecycle();
			assertThatExceptionOfType(CredentialsValidationException.class)
				.isThrownBy(LeaseLifecycleTests.this.lifecycle::start)
				.satisfies((ex) -> {
					assertThat(ex.getSqlState()).isEqualTo("3D000");
					assertThat(ex.getUsername()).isEqualTo("v-1");
					assertThat(ex.getMessage()).contains("apdb").doesNotContain(FakeDatabaseSecretsClient.password(1));
				});
			assertThat(client().revokedUsernames()).containsExactly("v-1");
			assertThat(LeaseLifecycleTests.this.lifecycle.counters().revocations(RevocationTrigger.REJECTED)).isEqualTo(1);
			assertThat(target().installed()).isEmpty();
			assertThat(LeaseLifecycleTests.this.scheduler.pendingTasks()).isZero();
		}

		@Test
		void asksForNewCredentialsWhenTheFirstExpiredBeforeTheDatabaseAcceptedThem() {
			// A login slower than the 60 s TTL, once: Vault ends the session it was opening.
			target().failNextValidations(1);
			target().duringValidation(() -> {
				if (client().issued().size() == 1) {
					LeaseLifecycleTests.this.clock.advance(Duration.ofSeconds(61));
				}
			});
			start();
			assertThat(client().issued()).hasSize(2);
			assertThat(client().revokedUsernames()).containsExactly("v-1");
			assertThat(target().installed()).extracting(DatabaseCredentials::username).containsExactly("v-2");
			assertThat(status().state()).isEqualTo(State.ACTIVE);
		}

		@Test
		void givesUpAfterThreeFirstCredentialsExpiredBeforeTheDatabaseAcceptedThem() {
			target().failValidationWith(new SQLException("FATAL: terminating connection due to administrator command",
					"57P01"));
			target().duringValidation(() -> LeaseLifecycleTests.this.clock.advance(Duration.ofSeconds(61)));
			LeaseLifecycleTests.this.lifecycle = newLifecycle();
			assertThatExceptionOfType(CredentialsValidationException.class)
				.isThrownBy(LeaseLifecycleTests.this.lifecycle::start)
				.satisfies((ex) -> assertThat(ex.getUsername()).isEqualTo("v-3"));
			assertThat(client().revokedUsernames()).containsExactly("v-1", "v-2", "v-3");
			assertThat(target().installed()).isEmpty();
		}

		@Test
		void aRejectionWithinTheTtlIsNotRetried() {
			target().failValidationWith(new SQLException("FATAL: password authentication failed", "28P01"));
			LeaseLifecycleTests.this.lifecycle = newLifecycle();
			assertThatExceptionOfType(CredentialsValidationException.class)
				.isThrownBy(LeaseLifecycleTests.this.lifecycle::start);
			assertThat(client().issued()).hasSize(1);
		}

		@Test
		void cannotStartTwice() {
			start();
			assertThatExceptionOfType(IllegalStateException.class).isThrownBy(LeaseLifecycleTests.this.lifecycle::start);
			assertThat(client().issued()).hasSize(1);
		}

	}

	@Nested
	class Renewal {

		@Test
		void extendsTheLeaseAndPlansTheNextRenewal() {
			start();
			advance(Duration.ofSeconds(30));
			assertThat(events(LeaseRenewedEvent.class)).singleElement().satisfies((event) -> {
				assertThat(event.getUsername()).isEqualTo("v-1");
				assertThat(event.getGranted()).isEqualTo(Duration.ofSeconds(60));
				assertThat(event.isCapped()).isFalse();
			});
			LeaseStatus status = status();
			assertThat(status.lease().expiresAt()).isEqualTo(T0.plusSeconds(90));
			assertThat(status.history().lastRenewal()).isEqualTo(T0.plusSeconds(30));
			assertThat(status.counts().renewals()).isEqualTo(1);
			assertThat(status.next()).isEqualTo(new LeaseStatus.Next(NextAction.RENEW, T0.plusSeconds(60)));
			advance(Duration.ofSeconds(30));
			assertThat(status().counts().renewals()).isEqualTo(2);
			assertThat(status().lease().expiresAt()).isEqualTo(T0.plusSeconds(120));
			assertThat(client().issued()).hasSize(1);
			assertThat(target().switches()).isEmpty();
		}

		@Test
		void countsTheRenewalFromWhenTheRequestWasSent() {
			client().renewLatency(Duration.ofMillis(1500));
			start();
			advance(Duration.ofSeconds(30));
			assertThat(client().renewSentAt()).containsExactly(T0.plusSeconds(30));
			assertThat(status().lease().expiresAt()).isEqualTo(T0.plusSeconds(90));
		}

		@Test
		void aSlowVaultMovesRenewalsEarlierSoThatARetryStillFitsBeforeExpiry() {
			client().ttl(Duration.ofSeconds(4)).renewLatency(Duration.ofMillis(1500));
			start();
			// Half the TTL (2 s) would leave no time to retry a renewal that takes 1.5 s.
			assertThat(status().next().at()).isEqualTo(T0.plusSeconds(2));
			advance(Duration.ofSeconds(2));
			assertThat(status().lease().expiresAt()).isEqualTo(T0.plusSeconds(6));
			// Due 1 s after the renewal was sent: at once, since its answer took 1.5 s.
			assertThat(status().next().at()).isEqualTo(T0.plusMillis(3500));
		}

		@Test
		void cappedRenewalPlansRotationTheLeadTimeBeforeTheLeaseEnds() {
			client().grantRenewal(Duration.ofSeconds(40), true, true);
			start();
			advance(Duration.ofSeconds(30));
			assertThat(events(LeaseRenewedEvent.class)).singleElement()
				.satisfies((event) -> assertThat(event.isCapped()).isTrue());
			LeaseStatus status = status();
			assertThat(status.lease().expiresAt()).isEqualTo(T0.plusSeconds(70));
			assertThat(status.lease().endsAt()).isEqualTo(T0.plusSeconds(70));
			assertThat(LeaseLifecycleTests.this.lifecycle.counters().renewals(RenewalOutcome.CAPPED)).isEqualTo(1);
			assertThat(status.next()).isEqualTo(new LeaseStatus.Next(NextAction.ROTATE, T0.plusSeconds(46)));
			assertThat(LeaseLifecycleTests.this.lifecycle.maxTtl()).contains(Duration.ofSeconds(70));
			advance(Duration.ofMillis(15_999));
			assertThat(client().issued()).hasSize(1);
			advance(Duration.ofMillis(1));
			assertThat(client().issued()).hasSize(2);
		}

		@Test
		void notRenewableAnyMoreLeadsToRotation() {
			client().grantRenewal(Duration.ofSeconds(60), false, false);
			start();
			advance(Duration.ofSeconds(30));
			assertThat(status().next()).isEqualTo(new LeaseStatus.Next(NextAction.ROTATE, T0.plusSeconds(66)));
			advance(Duration.ofSeconds(36));
			assertThat(events(CredentialsRotatedEvent.class)).singleElement()
				.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.NOT_RENEWABLE));
		}

		@Test
		void maxTtlReachedRotatesWhileTheOldCredentialsStillServe() {
			client().failRenewal(Failure.MAX_TTL_REACHED);
			start();
			advance(Duration.ofSeconds(30));
			assertThat(target().switches()).singleElement()
				.satisfies((change) -> assertThat(change.previousDead()).isFalse());
			assertThat(events(CredentialsRotatedEvent.class)).singleElement()
				.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.MAX_TTL));
		}

	}

	@Nested
	class KnownMaxTtl {

		@Test
		void aReadableMaxTtlPlansTheRotationWithoutWaitingForACappedRenewal() {
			client().maxTtl(Duration.ofSeconds(120), true);
			start();
			assertThat(status().lease().endsAt()).isEqualTo(T0.plusSeconds(120));
			advance(Duration.ofSeconds(60));
			assertThat(client().renewed()).hasSize(2);
			assertThat(status().next()).isEqualTo(new LeaseStatus.Next(NextAction.ROTATE, T0.plusSeconds(96)));
		}

		@Test
		void theChecksAfterTheStartWaitUntilTheyAreLetGoAndThenPlanWithTheReadMaxTtl() {
			client().maxTtl(Duration.ofSeconds(120), true);
			List<Runnable> held = startWithHeldChecks();
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(held).hasSize(1);
			assertThat(LeaseLifecycleTests.this.lifecycle.maxTtl()).isEmpty();
			assertThat(status().lease().endsAt()).isNull();
			held.get(0).run();
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(LeaseLifecycleTests.this.lifecycle.maxTtl()).contains(Duration.ofSeconds(120));
			assertThat(status().lease().endsAt()).isEqualTo(T0.plusSeconds(120));
		}

		@Test
		void checksLetGoAfterAStopAreNotSent() {
			client().maxTtl(Duration.ofSeconds(120), true);
			List<Runnable> held = startWithHeldChecks();
			stop(true);
			held.get(0).run();
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(LeaseLifecycleTests.this.lifecycle.maxTtl()).isEmpty();
		}

		@Test
		void onlyTheFirstRotationTakesARandomPhaseOfItsLease() {
			LeaseLifecycleTests.this.policy = new LeasePolicy(0.5, 0.1, 0.4, Duration.ofSeconds(1),
					Duration.ofSeconds(1), Duration.ofSeconds(30), new SplittableRandom(3));
			client().maxTtl(Duration.ofSeconds(120), true);
			start();
			advance(Duration.ofSeconds(400));
			List<CredentialsIssuedEvent> issued = events(CredentialsIssuedEvent.class);
			assertThat(issued).hasSizeGreaterThanOrEqualTo(4);
			// The first lease: anywhere from its issue to the lead (24 s) before its max_ttl; with this
			// seed well before where the jitter alone could move it (up to 9.6 s before that): the phase.
			Instant first = Instant.ofEpochMilli(issued.get(1).getTimestamp());
			assertThat(first).isBetween(T0, T0.plusSeconds(96)).isBefore(T0.plusSeconds(86));
			// Every later lease: at its lead, moved earlier by up to the jitter of the 96 s before it.
			for (int i = 2; i < issued.size(); i++) {
				Instant previous = client().issued().get(i - 1).issuedAt();
				Instant rotated = Instant.ofEpochMilli(issued.get(i).getTimestamp());
				assertThat(rotated).as("rotation %d", i)
					.isBetween(previous.plusSeconds(96).minusMillis(9600), previous.plusSeconds(97));
			}
		}

		@Test
		void aSlowVaultStartsTheRotationEarlyEnoughToSwitchBeforeTheLeaseEnds() {
			// The case that failed 14% of queries: every answer 1.5 s late, leases of 4 s / 12 s.
			client().ttl(Duration.ofSeconds(4))
				.maxTtl(Duration.ofSeconds(12), true)
				.issueLatency(Duration.ofMillis(1500))
				.renewLatency(Duration.ofMillis(1500))
				.revokeLatency(Duration.ofMillis(1500));
			start();
			advance(Duration.ofSeconds(60));
			List<CredentialsRotatedEvent> rotations = events(CredentialsRotatedEvent.class);
			assertThat(rotations).hasSizeGreaterThanOrEqualTo(4);
			assertThat(events(LeaseFailureEvent.class)).isEmpty();
			// Each old lease's connections are drained before it ends at max_ttl, when Vault's own
			// revocation would end them: the switch comes first and the drain deadline is before the end.
			List<CredentialsIssuedEvent> issued = events(CredentialsIssuedEvent.class);
			for (int i = 1; i < issued.size(); i++) {
				CredentialLease old = client().issued().get(i - 1);
				Instant end = old.issuedAt().plusSeconds(12);
				assertThat(Instant.ofEpochMilli(issued.get(i).getTimestamp())).as("switch away from %s", old.username())
					.isBefore(end);
				assertThat(target().retirements().get(i - 1).deadlines()).as("drain deadline of %s", old.username())
					.allSatisfy((deadline) -> assertThat(deadline).isBefore(end));
			}
			// (Whether the old lease was renewed alongside the issue, it cannot show: one timeline runs
			// the strands one after the other. LeaseRotationIntegrationTests shows it with real threads.)
		}

	}

	@Nested
	class Rotation {

		@Test
		void renewsTheNewLeaseWhileItsFirstConnectionsTakeLongToOpen() {
			start();
			advance(Duration.ofSeconds(10));
			// The new user's first logins take 40 s (a loaded machine): longer than half its TTL.
			target().duringValidation(() -> {
				if (client().issued().size() == 2) {
					LeaseLifecycleTests.this.scheduler.advance(Duration.ofSeconds(40));
				}
			});
			LeaseLifecycleTests.this.lifecycle.rotateNow(RotationReason.FORCED);
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(client().renewed()).extracting(CredentialLease::username).contains("v-2");
			assertThat(target().currentUsername()).isEqualTo("v-2");
			// Renewed at T0 + 40 s, half way through the 60 s it had when its validation began.
			assertThat(status().lease().expiresAt()).isEqualTo(T0.plusSeconds(100));
			assertThat(status().state()).isEqualTo(State.ACTIVE);
		}

		@Test
		void keepsRenewingTheNewLeaseWhileItsFirstConnectionsTakeLongerThanItsTtl() {
			start();
			advance(Duration.ofSeconds(10));
			// The new user's first logins take 100 s, longer than its whole 60 s TTL: one renewal at
			// half the TTL would leave it to expire before the switch.
			target().duringValidation(() -> {
				if (client().issued().size() == 2) {
					for (int i = 0; i < 10; i++) {
						LeaseLifecycleTests.this.scheduler.advance(Duration.ofSeconds(10));
					}
				}
			});
			LeaseLifecycleTests.this.lifecycle.rotateNow(RotationReason.FORCED);
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(client().renewed()).extracting(CredentialLease::username)
				.filteredOn("v-2"::equals)
				.hasSizeGreaterThanOrEqualTo(2);
			assertThat(target().currentUsername()).isEqualTo("v-2");
			assertThat(status().lease().expiresAt()).isAfter(LeaseLifecycleTests.this.clock.instant());
			assertThat(status().state()).isEqualTo(State.ACTIVE);
		}

		@Test
		void keepsRenewingTheOldLeaseWhileTheIssueAndTheNewConnectionsOutlastItsTtl() {
			// A switch that may take longer than the 60 s the old lease has left: it is renewed
			// alongside the issue.
			target().switchAllowance(Duration.ofSeconds(70));
			start();
			// The new user's first logins then take 100 s: one renewal of the old lease (60 s) does
			// not carry it to the switch.
			slowValidationOfTheSecondUser(100);
			LeaseLifecycleTests.this.lifecycle.rotateNow(RotationReason.FORCED);
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(client().renewed()).extracting(CredentialLease::username)
				.filteredOn("v-1"::equals)
				.hasSizeGreaterThanOrEqualTo(3);
			assertThat(target().switches()).singleElement()
				.satisfies((change) -> assertThat(change.previousDead()).as("old lease expired before the switch")
					.isFalse());
			assertThat(target().currentUsername()).isEqualTo("v-2");
		}

		@Test
		void renewsTheOldLeaseOnceItsRotationHasTakenHalfOfWhatItHadLeftSoTheDrainKeepsItsTime() {
			// The switch is expected to take no time: nothing is renewed alongside the issue.
			start();
			advance(Duration.ofSeconds(10));
			// The new user's first logins take 30 s of the 50 s the old lease has left.
			slowValidationOfTheSecondUser(30);
			LeaseLifecycleTests.this.lifecycle.rotateNow(RotationReason.FORCED);
			LeaseLifecycleTests.this.scheduler.runDue();
			// Renewed 25 s into the rotation (T0 + 35 s) for its 60 s TTL (and v-2 at half its own).
			assertThat(client().renewed()).extracting(CredentialLease::username).filteredOn("v-1"::equals).hasSize(1);
			assertThat(target().currentUsername()).isEqualTo("v-2");
			// The drain runs towards the renewed end (T0 + 95 s), not the 20 s left of the one before.
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(target().retirements()).singleElement()
				.satisfies((retirement) -> assertThat(retirement.deadlines().get(0))
					.isAfter(T0.plusSeconds(60)));
		}

		@Test
		void doesNotRenewTheOldLeaseWhenItsRotationIsQuick() {
			start();
			advance(Duration.ofSeconds(10));
			LeaseLifecycleTests.this.lifecycle.rotateNow(RotationReason.FORCED);
			LeaseLifecycleTests.this.scheduler.runDue();
			advance(Duration.ofSeconds(30));
			assertThat(target().currentUsername()).isEqualTo("v-2");
			assertThat(client().renewed()).extracting(CredentialLease::username).doesNotContain("v-1");
		}

		@Test
		void aFailedRotationGoesOnWithTheOldLeaseAsRenewedMeanwhile() {
			target().switchAllowance(Duration.ofSeconds(70));
			start();
			Instant before = status().lease().expiresAt();
			// The old lease is renewed while the new user's first logins take 40 s, then fail.
			slowValidationOfTheSecondUser(40);
			target().failNextValidations(1);
			LeaseLifecycleTests.this.lifecycle.rotateNow(RotationReason.FORCED);
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(target().switches()).isEmpty();
			assertThat(status().lease().username()).isEqualTo("v-1");
			assertThat(status().lease().expiresAt()).isAfter(before);
		}

		@Test
		void doesNotSwitchToANewLeaseThatExpiredWhileItsConnectionsOpened() {
			start();
			advance(Duration.ofSeconds(10));
			// The clock jumps past the new lease's TTL with nothing run on the way, as when the whole
			// process stalls: Vault has ended the new user by the time its connections are open.
			target().duringValidation(() -> {
				if (client().issued().size() == 2) {
					LeaseLifecycleTests.this.clock.advance(Duration.ofSeconds(61));
				}
			});
			LeaseLifecycleTests.this.lifecycle.rotateNow(RotationReason.FORCED);
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(target().switches()).isEmpty();
			assertThat(client().revokedUsernames()).containsExactly("v-2");
			assertThat(events(LeaseFailureEvent.class))
				.anySatisfy((event) -> assertThat(event.getMessage()).contains("v-2", "expired"));
			advance(Duration.ofSeconds(30));
			assertThat(target().currentUsername()).isEqualTo("v-3");
		}

		@Test
		void atMaxTtlValidatesSwitchesDrainsAndRevokesTheOldLease() {
			client().grantRenewal(Duration.ofSeconds(40), true, true);
			start();
			CredentialLease first = client().issued().get(0);
			advance(Duration.ofSeconds(46));
			CredentialLease second = client().issued().get(1);
			assertThat(target().validated()).containsExactly(first.credentials(), second.credentials());
			assertThat(target().switches()).singleElement().satisfies((change) -> {
				assertThat(change.next()).isEqualTo(second.credentials());
				assertThat(change.previous()).isEqualTo(first.credentials());
				assertThat(change.previousDead()).isFalse();
			});
			assertThat(target().retirements()).singleElement()
				.satisfies((retirement) -> assertThat(retirement.deadlines().get(0)).isAfter(T0.plusSeconds(46))
					.isBefore(T0.plusSeconds(70)));
			assertThat(client().revoked()).extracting(CredentialLease::leaseId).containsExactly(first.leaseId());
			assertThat(log()).containsSubsequence("issue v-2", "validate v-2", "switch v-2 <- v-1", "evict v-1",
					"drained v-1", "revoke v-1");
			assertThat(target().currentUsername()).isEqualTo("v-2");
			List<VaultDataSourceEvent> rotationEvents = LeaseLifecycleTests.this.events.stream()
				.skip(2)
				.map(VaultDataSourceEvent.class::cast)
				.toList();
			assertThat(rotationEvents).hasExactlyElementsOfTypes(CredentialsIssuedEvent.class, LeaseRevokedEvent.class,
					CredentialsRotatedEvent.class);
			assertThat((LeaseRevokedEvent) rotationEvents.get(1)).satisfies((event) -> {
				assertThat(event.getUsername()).isEqualTo("v-1");
				assertThat(event.getShortLeaseId()).isEqualTo(first.shortLeaseId());
				assertThat(event.getTrigger()).isEqualTo(RevocationTrigger.ROTATION);
			});
			assertThat((CredentialsRotatedEvent) rotationEvents.get(2)).satisfies((event) -> {
				assertThat(event.getUsername()).isEqualTo("v-2");
				assertThat(event.getPreviousUsername()).isEqualTo("v-1");
				assertThat(event.getReason()).isEqualTo(RotationReason.MAX_TTL);
				assertThat(event.getOldConnectionsLeft()).isZero();
				assertThat(event.getSwitchDuration()).isEqualTo(Duration.ofMillis(5));
				assertThat(event.getDrainDuration()).isEqualTo(Duration.ofMillis(20));
				assertThat(event.isPreviousRevoked()).isTrue();
			});
			LeaseStatus status = status();
			assertThat(status.state()).isEqualTo(State.ACTIVE);
			assertThat(status.username()).isEqualTo("v-2");
			assertThat(status.lease().issuedAt()).isEqualTo(T0.plusSeconds(46));
			assertThat(status.history().lastRotation()).isEqualTo(T0.plusSeconds(46));
			assertThat(status.counts().rotations()).isEqualTo(1);
			assertThat(status.counts().revocations()).isEqualTo(1);
			assertThat(LeaseLifecycleTests.this.lifecycle.counters().finishedRotations()).isEqualTo(1);
			assertThat(status.next()).isEqualTo(new LeaseStatus.Next(NextAction.RENEW, T0.plusSeconds(76)));
		}

		@Test
		void theNewLeaseIsRenewedOnTimeWhileTheOldOneIsStillDraining() {
			client().grantRenewal(Duration.ofSeconds(40), true, true);
			target().drainSteps(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(10),
					Duration.ofSeconds(10));
			start();
			advance(Duration.ofSeconds(46));
			// Planned at the switch, not after the drain and revocation of v-1.
			assertThat(status().next()).isEqualTo(new LeaseStatus.Next(NextAction.RENEW, T0.plusSeconds(76)));
			assertThat(client().revoked()).isEmpty();
			advance(Duration.ofSeconds(30));
			assertThat(client().renewSentAt()).last().isEqualTo(T0.plusSeconds(76));
			assertThat(client().revoked()).isEmpty();
			advance(Duration.ofSeconds(10));
			assertThat(client().revokedUsernames()).containsExactly("v-1");
		}

		@Test
		void aNewLeaseIsRenewedWithItsOwnTtl() {
			client().grantRenewal(Duration.ofSeconds(40), true, true);
			start();
			advance(Duration.ofSeconds(46));
			client().ttl(Duration.ofSeconds(100));
			advance(Duration.ofSeconds(30));
			assertThat(client().renewed()).extracting(CredentialLease::username).containsExactly("v-1", "v-2");
			assertThat(client().renewIncrements()).containsOnly(Duration.ofSeconds(60));
		}

		@Test
		void aNonRenewableLeaseIsRotatedBeforeItExpires() {
			client().renewable(false);
			start();
			assertThat(status().next()).isEqualTo(new LeaseStatus.Next(NextAction.ROTATE, T0.plusSeconds(36)));
			advance(Duration.ofSeconds(36));
			assertThat(client().renewed()).isEmpty();
			assertThat(events(CredentialsRotatedEvent.class)).singleElement()
				.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.NOT_RENEWABLE));
			assertThat(client().revokedUsernames()).containsExactly("v-1");
			assertThat(status().next().at()).isEqualTo(T0.plusSeconds(72));
		}

		@Test
		void aLeaseShorterThanTheRotationLeadIsNotRotatedTheMomentItArrives() {
			// Before any rotation was measured, the cost estimate includes all a switch may take: here
			// more than the 60 s lease. Rotating at once would only bring another lease as short.
			client().renewable(false);
			target().switchAllowance(Duration.ofSeconds(70));
			start();
			assertThat(status().next()).isEqualTo(new LeaseStatus.Next(NextAction.ROTATE, T0.plusSeconds(15)));
			advance(Duration.ofSeconds(14));
			assertThat(client().issued()).hasSize(1);
			advance(Duration.ofSeconds(1));
			assertThat(client().issued()).hasSize(2);
		}

		@Test
		void rejectedNewCredentialsKeepTheOldOnesRevokeTheNewLeaseAndRetry() {
			start();
			target().failNextValidations(1);
			forceRotationAt(Duration.ofSeconds(10));
			assertThat(client().revokedUsernames()).containsExactly("v-2");
			assertThat(LeaseLifecycleTests.this.lifecycle.counters().revocations(RevocationTrigger.REJECTED)).isEqualTo(1);
			assertThat(target().switches()).isEmpty();
			assertThat(target().currentUsername()).isEqualTo("v-1");
			assertThat(events(LeaseFailureEvent.class)).singleElement().satisfies((event) -> {
				assertThat(event.getKind()).isEqualTo(FailureKind.VALIDATION);
				assertThat(event.getMessage()).contains("v-2").contains("28P01");
			});
			LeaseStatus failing = status();
			assertThat(failing.state()).isEqualTo(State.FAILING);
			assertThat(failing.username()).isEqualTo("v-1");
			assertThat(failing.next()).isEqualTo(new LeaseStatus.Next(NextAction.ROTATE, T0.plusSeconds(11)));
			assertThat(LeaseLifecycleTests.this.lifecycle.counters().failedRotations(RotationReason.FORCED)).isEqualTo(1);
			advance(Duration.ofSeconds(1));
			assertThat(target().switches()).singleElement().satisfies((change) -> {
				assertThat(change.next().username()).isEqualTo("v-3");
				assertThat(change.previous().username()).isEqualTo("v-1");
			});
			assertThat(client().revokedUsernames()).containsExactly("v-2", "v-1");
			assertThat(status().state()).isEqualTo(State.ACTIVE);
		}

		@Test
		void credentialsTheDatabaseKeepsRejectingAreRetriedWithBackoffNotInALoop() {
			start();
			target().failNextValidations(4);
			forceRotationAt(Duration.ofSeconds(1));
			advance(Duration.ofSeconds(20));
			// Attempts at 1 s, then 1, 2, 4 and 8 s apart: five issues in 16 s, not one per second.
			assertThat(client().issued()).hasSize(6);
			assertThat(status().counts().issued()).isEqualTo(6);
			assertThat(target().switches()).hasSize(1);
			assertThat(status().history().lastRotation()).isEqualTo(T0.plusSeconds(16));
		}

		@Test
		void aFailedIssueKeepsTheCredentialsAndRetries() {
			start();
			client().failIssue(Failure.UNAVAILABLE);
			forceRotationAt(Duration.ofSeconds(10));
			assertThat(events(LeaseFailureEvent.class)).singleElement()
				.satisfies((event) -> assertThat(event.getKind()).isEqualTo(FailureKind.ISSUE));
			assertThat(target().currentUsername()).isEqualTo("v-1");
			assertThat(status().next().action()).isEqualTo(NextAction.ROTATE);
			// Half of the 50 s left.
			assertThat(status().next().at()).isEqualTo(T0.plusSeconds(35));
			advance(Duration.ofSeconds(25));
			assertThat(events(CredentialsRotatedEvent.class)).singleElement()
				.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.FORCED));
		}

		@Test
		void rotateNowRotatesAndPlansTheNewLeasesRenewal() {
			start();
			forceRotationAt(Duration.ofSeconds(10));
			assertThat(events(CredentialsRotatedEvent.class)).singleElement().satisfies((event) -> {
				assertThat(event.getReason()).isEqualTo(RotationReason.FORCED);
				assertThat(event.getPreviousUsername()).isEqualTo("v-1");
				assertThat(event.getUsername()).isEqualTo("v-2");
			});
			assertThat(client().revokedUsernames()).containsExactly("v-1");
			assertThat(status().next().at()).isEqualTo(T0.plusSeconds(40));
			advance(Duration.ofSeconds(30));
			assertThat(client().renewed()).extracting(CredentialLease::username).containsExactly("v-2");
		}

		@Test
		void rotateNowIsSkippedWhenNewerCredentialsWereIssuedSinceTheRequest() {
			client().issueLatency(Duration.ofMillis(100));
			start();
			LeaseLifecycleTests.this.clock.advance(Duration.ofSeconds(10));
			LeaseLifecycleTests.this.lifecycle.rotateNow(RotationReason.TOKEN_RELOGIN);
			LeaseLifecycleTests.this.clock.advance(Duration.ofMillis(1));
			LeaseLifecycleTests.this.lifecycle.rotateNow(RotationReason.TOKEN_RELOGIN);
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(client().issued()).hasSize(2);
		}

		@Test
		void aSwitchThatThrowsLeavesTheOldLeaseToExpireAndKeepsTheNewOneManaged() {
			start();
			target().failNextSwitch(new IllegalStateException("Pool is shutting down"));
			forceRotationAt(Duration.ofSeconds(10));
			assertThat(status().next().at()).isAfter(LeaseLifecycleTests.this.clock.instant());
			assertThat(client().revoked()).isEmpty();
			assertThat(status().counts().unrevoked()).isEqualTo(1);
			advance(Duration.ofSeconds(60));
			assertThat(client().renewed()).extracting(CredentialLease::username).contains("v-2");
			assertThat(status().state()).isEqualTo(State.ACTIVE);
			assertThat(status().counts().unrevoked()).isZero();
		}

		@Test
		void aDrainStepThatThrowsLeavesTheOldLeaseToExpire() {
			start();
			target().failNextAdvance(new IllegalStateException("pool bean gone"));
			forceRotationAt(Duration.ofSeconds(10));
			assertThat(client().revoked()).isEmpty();
			assertThat(LeaseLifecycleTests.this.lifecycle.counters().failures(FailureKind.INTERNAL)).isEqualTo(1);
			assertThat(status().counts().unrevoked()).isEqualTo(1);
			assertThat(status().username()).isEqualTo("v-2");
		}

	}

	@Nested
	class VaultUnavailable {

		@Test
		void keepsTheCredentialsAndRetriesTheRenewalAfterHalfOfWhatIsLeft() {
			client().failRenewal(Failure.UNAVAILABLE);
			start();
			advance(Duration.ofSeconds(30));
			assertThat(events(LeaseFailureEvent.class)).singleElement().satisfies((event) -> {
				assertThat(event.getKind()).isEqualTo(FailureKind.RENEWAL);
				assertThat(event.getConsecutiveFailures()).isEqualTo(1);
				assertThat(event.getMessage()).contains("503");
			});
			assertThat(target().switches()).isEmpty();
			LeaseStatus failing = status();
			assertThat(failing.state()).isEqualTo(State.FAILING);
			assertThat(failing.failures().consecutive()).isEqualTo(1);
			assertThat(failing.failures().last()).startsWith("RENEWAL").contains("503");
			// Half of the 30 s left: Vault is away, the same lease is renewed once it answers.
			assertThat(failing.next()).isEqualTo(new LeaseStatus.Next(NextAction.RENEW, T0.plusSeconds(45)));
			advance(Duration.ofSeconds(15));
			LeaseStatus recovered = status();
			assertThat(recovered.state()).isEqualTo(State.ACTIVE);
			assertThat(recovered.failures()).isEqualTo(new LeaseStatus.Failures(0, null));
			assertThat(LeaseLifecycleTests.this.lifecycle.counters().renewals(RenewalOutcome.FAILURE)).isEqualTo(1);
			assertThat(recovered.next().at()).isEqualTo(T0.plusSeconds(75));
		}

		@Test
		void retriesAfterHalfOfWhatIsLeft() {
			client().failRenewal(Failure.UNAVAILABLE, Failure.UNAVAILABLE);
			start();
			advance(Duration.ofSeconds(30));
			assertThat(status().next().at()).isEqualTo(T0.plusSeconds(45));
			advance(Duration.ofSeconds(15));
			assertThat(status().failures().consecutive()).isEqualTo(2);
			// Half of the 15 s left, Vault being away (a rotation would fail too).
			assertThat(status().next().at()).isEqualTo(T0.plusMillis(52_500));
			advance(Duration.ofMillis(7500));
			assertThat(status().state()).isEqualTo(State.ACTIVE);
			assertThat(target().switches()).isEmpty();
		}

		@Test
		void retriesEverMoreOftenAsTheLeaseNearsItsEnd() {
			start();
			client().failRenewalAlways(Failure.UNAVAILABLE).failIssueAlways(Failure.UNAVAILABLE);
			advance(Duration.ofSeconds(40));
			// 20 s left, less than the 24 s lead: each retry waits at most half of what is left.
			int tries = client().renewed().size();
			while (LeaseLifecycleTests.this.clock.instant().isBefore(T0.plusMillis(59_500))) {
				Instant now = LeaseLifecycleTests.this.clock.instant();
				Duration left = Duration.between(now, T0.plusSeconds(60));
				Duration wait = Duration.between(now, status().next().at());
				assertThat(wait).isLessThanOrEqualTo(left.dividedBy(2).plusMillis(200));
				advance(Duration.ofMillis(100));
			}
			assertThat(client().renewed().size() + client().issued().size() - tries).isGreaterThanOrEqualTo(5);
		}

		@Test
		void renewsTheSameLeaseWhenVaultAnswersAgainNearExpiryInsteadOfRotating() {
			// A failover: no leader for a while, then the renewal goes through.
			// Retries at 45, 52.5 and 56.25 s, each after half of what is left: the last goes through.
			client().failRenewal(failures(Failure.UNAVAILABLE, 3));
			start();
			advance(Duration.ofSeconds(58));
			assertThat(status().counts().renewals()).isEqualTo(1);
			assertThat(client().issued()).hasSize(1);
			assertThat(target().switches()).isEmpty();
			assertThat(status().state()).isEqualTo(State.ACTIVE);
		}

		@Test
		void anExpiredLeaseIsReplacedAsDeadOnceVaultIssuesAgain() {
			start();
			client().failRenewalAlways(Failure.UNAVAILABLE).failIssueAlways(Failure.UNAVAILABLE);
			advance(Duration.ofSeconds(61));
			LeaseStatus expired = status();
			assertThat(expired.state()).isEqualTo(State.EXPIRED);
			assertThat(expired.timeToExpiry()).isNegative();
			assertThat(expired.next().action()).isEqualTo(NextAction.ROTATE);
			assertThat(expired.next().at()).isAfter(LeaseLifecycleTests.this.clock.instant());
			assertThat(Duration.between(LeaseLifecycleTests.this.clock.instant(), expired.next().at()))
				.isLessThanOrEqualTo(Duration.ofSeconds(1));
			client().failIssueAlways(null);
			advance(Duration.ofSeconds(1));
			assertThat(target().switches()).singleElement()
				.satisfies((change) -> assertThat(change.previousDead()).isTrue());
			assertThat(status().state()).isEqualTo(State.ACTIVE);
		}

		@Test
		void renewalsFailingWithAnotherErrorRotateWithinTheLeadTime() {
			client().failRenewalAlways(Failure.SERVER_ERROR);
			start();
			advance(Duration.ofSeconds(35));
			assertThat(target().switches()).isEmpty();
			advance(Duration.ofSeconds(5));
			assertThat(events(CredentialsRotatedEvent.class)).singleElement()
				.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.RENEWAL_FAILING));
			assertThat(target().switches()).singleElement()
				.satisfies((change) -> assertThat(change.previousDead()).isFalse());
		}

		@Test
		void retriesNeverWaitPastTheLeasesExpiryWithoutRotating() {
			start();
			client().failRenewalAlways(Failure.UNAVAILABLE).failIssueAlways(Failure.UNAVAILABLE);
			while (LeaseLifecycleTests.this.clock.instant().isBefore(T0.plusSeconds(59))) {
				LeaseStatus status = status();
				if (status.failures().consecutive() > 0 && status.next().action() == NextAction.RENEW) {
					assertThat(status.next().at()).isBefore(status.lease().expiresAt());
				}
				advance(Duration.ofMillis(100));
			}
		}

	}

	@Nested
	class RevokedBehindItsBack {

		@Test
		void aLeaseVaultNoLongerKnowsIsRotatedAtOnceAndItsConnectionsEvictedWithoutASurge() {
			start();
			client().revokeBehindOurBack(client().issued().get(0));
			advance(Duration.ofSeconds(30));
			assertThat(events(CredentialsRotatedEvent.class)).singleElement()
				.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.LEASE_GONE));
			assertThat(target().switches()).singleElement()
				.satisfies((change) -> assertThat(change.previousDead()).isTrue());
			assertThat(target().retirements()).singleElement()
				.satisfies((retirement) -> assertThat(retirement.deadlines().get(0)).isEqualTo(T0.plusSeconds(32)));
			assertThat(events(LeaseRevokedEvent.class)).isEmpty();
			assertThat(status().state()).isEqualTo(State.ACTIVE);
			assertThat(status().username()).isEqualTo("v-2");
		}

		@Test
		@ExtendWith(OutputCaptureExtension.class)
		void aLeaseIssuedBeforeVaultLostItsRoleIsCheckedForAUserLeftBehindAfterItsRevocation(CapturedOutput output) {
			start();
			// Vault restarted without its state: the role is unknown until an operator restores it,
			// and the revocation of the first lease, unknown to Vault now, succeeds without a trace.
			client().failIssue(Failure.NOT_FOUND, Failure.REJECTED);
			target().keepUser("v-1");
			LeaseLifecycleTests.this.lifecycle.rotateNow(RotationReason.FORCED);
			// The retries come before the rotation lead of the 60 s lease, then the orphan check.
			advance(Duration.ofSeconds(50));
			assertThat(target().currentUsername()).isEqualTo("v-2");
			assertThat(events(LeaseRevokedEvent.class)).singleElement()
				.satisfies((event) -> assertThat(event.getUsername()).isEqualTo("v-1"));
			assertThat(log()).contains("user exists? v-1");
			assertThat(output.getAll()).contains("no longer knows lease").contains("DROP ROLE \"v-1\"");
		}

		@Test
		void aRevokedLeaseIsNotCheckedForAUserLeftBehindWhenVaultKeptItsRole() {
			start();
			client().failIssue(Failure.UNAVAILABLE);
			LeaseLifecycleTests.this.lifecycle.rotateNow(RotationReason.FORCED);
			// The retries come before the rotation lead of the 60 s lease, then the orphan check.
			advance(Duration.ofSeconds(50));
			assertThat(target().currentUsername()).isEqualTo("v-2");
			assertThat(events(LeaseRevokedEvent.class)).hasSize(1);
			assertThat(log()).noneMatch((entry) -> entry.startsWith("user exists?"));
		}

		@Test
		void isReportedRevokedUntilNewCredentialsAreIssued() {
			start();
			client().revokeBehindOurBack(client().issued().get(0));
			client().failIssue(Failure.UNAVAILABLE);
			advance(Duration.ofSeconds(30));
			LeaseStatus revoked = status();
			assertThat(revoked.state()).isEqualTo(State.REVOKED);
			assertThat(revoked.next().action()).isEqualTo(NextAction.ROTATE);
			assertThat(events(LeaseFailureEvent.class)).extracting(LeaseFailureEvent::getKind)
				.containsExactly(FailureKind.RENEWAL, FailureKind.ISSUE);
			advance(Duration.ofSeconds(2));
			assertThat(target().switches()).singleElement()
				.satisfies((change) -> assertThat(change.previousDead()).isTrue());
			assertThat(status().state()).isEqualTo(State.ACTIVE);
		}

		@Test
		void aPermissionDeniedTokenIsDroppedThenTheLeaseIsReplaced() {
			client().failRenewal(Failure.PERMISSION_DENIED);
			start();
			advance(Duration.ofSeconds(30));
			assertThat(LeaseLifecycleTests.this.tokens.invalidations()).isEqualTo(1);
			assertThat(log()).containsSubsequence("renew v-1", "invalidate token", "issue v-2", "switch v-2 <- v-1 (dead)");
			assertThat(status().username()).isEqualTo("v-2");
		}

		@Test
		void withAStaticTokenAPermissionDeniedRenewalIsRetried() {
			LeaseLifecycleTests.this.tokens.canLogIn = false;
			client().failRenewal(Failure.PERMISSION_DENIED);
			start();
			advance(Duration.ofSeconds(30));
			assertThat(client().issued()).hasSize(1);
			assertThat(status().next()).isEqualTo(new LeaseStatus.Next(NextAction.RENEW, T0.plusSeconds(36)));
			advance(Duration.ofSeconds(6));
			assertThat(status().state()).isEqualTo(State.ACTIVE);
			assertThat(target().switches()).isEmpty();
		}

	}

	@Nested
	class DatabaseRejections {

		@Test
		void aRefusedLoginOfTheCurrentCredentialsRotatesAtOnceAndTreatsThemAsDead() {
			start();
			LeaseLifecycleTests.this.clock.advance(Duration.ofSeconds(10));
			LeaseLifecycleTests.this.lifecycle.loginRejected(credentials(1), "28P01");
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(events(CredentialsRotatedEvent.class)).singleElement()
				.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.CREDENTIALS_REJECTED));
			assertThat(target().switches()).singleElement()
				.satisfies((change) -> assertThat(change.previousDead()).isTrue());
			assertThat(status().next().at()).isEqualTo(T0.plusSeconds(40));
		}

		@Test
		void manyRefusedLoginsOfOneLeaseRotateOnce() {
			start();
			LeaseLifecycleTests.this.clock.advance(Duration.ofSeconds(10));
			for (int i = 0; i < 10; i++) {
				LeaseLifecycleTests.this.lifecycle.loginRejected(credentials(1), "28P01");
			}
			LeaseLifecycleTests.this.scheduler.runDue();
			LeaseLifecycleTests.this.lifecycle.loginRejected(credentials(1), "28P01");
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(client().issued()).hasSize(2);
		}

		@Test
		void aRefusedLoginIsAttributedToTheCredentialsItUsedNotToTheCurrentUser() {
			start();
			target().drainSteps(Duration.ofSeconds(5), Duration.ofSeconds(5));
			forceRotationAt(Duration.ofSeconds(10));
			FakeRetirement retiring = target().retirements().get(0);
			assertThat(retiring.isDead()).isFalse();
			// A login with v-1's credentials fails while v-1 drains: v-1 is dead, v-2 is fine.
			LeaseLifecycleTests.this.lifecycle.loginRejected(credentials(1), "28P01");
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(retiring.isDead()).isTrue();
			assertThat(client().issued()).hasSize(2);
			assertThat(status().username()).isEqualTo("v-2");
		}

		@Test
		void aRefusedLoginWithAnotherPasswordForTheSameUserIsNotTheCurrentCredentials() {
			start();
			LeaseLifecycleTests.this.clock.advance(Duration.ofSeconds(10));
			LeaseLifecycleTests.this.lifecycle.loginRejected(new DatabaseCredentials("v-1", "old-password"), "28P01");
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(client().issued()).hasSize(1);
		}

		@Test
		void aLateRefusalOfRotatedCredentialsChangesNothing() {
			start();
			forceRotationAt(Duration.ofSeconds(10));
			LeaseLifecycleTests.this.clock.advance(Duration.ofSeconds(5));
			LeaseLifecycleTests.this.lifecycle.loginRejected(credentials(1), "28P01");
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(client().issued()).hasSize(2);
			assertThat(target().currentUsername()).isEqualTo("v-2");
		}

		@Test
		void aPermissionErrorWhileTheDatabaseAndVaultAcceptTheUserIsAnApplicationError() {
			start();
			LeaseLifecycleTests.this.clock.advance(Duration.ofSeconds(10));
			LeaseLifecycleTests.this.lifecycle.permissionDenied();
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(log()).containsSubsequence("validate v-1", "renew v-1");
			assertThat(client().issued()).hasSize(1);
			assertThat(status().state()).isEqualTo(State.ACTIVE);
			assertThat(status().next().action()).isEqualTo(NextAction.RENEW);
		}

		@Test
		void aPermissionErrorForAUserTheDatabaseNoLongerAcceptsRotatesAtOnce() {
			start();
			target().refuse("v-1");
			LeaseLifecycleTests.this.clock.advance(Duration.ofSeconds(10));
			LeaseLifecycleTests.this.lifecycle.permissionDenied();
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(client().renewed()).isEmpty();
			assertThat(target().switches()).singleElement()
				.satisfies((change) -> assertThat(change.previousDead()).isTrue());
			assertThat(events(CredentialsRotatedEvent.class)).singleElement()
				.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.CREDENTIALS_REJECTED));
		}

		@Test
		void aPermissionErrorAfterVaultRevokedTheLeaseRotates() {
			start();
			client().revokeBehindOurBack(client().issued().get(0));
			LeaseLifecycleTests.this.clock.advance(Duration.ofSeconds(10));
			LeaseLifecycleTests.this.lifecycle.permissionDenied();
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(target().currentUsername()).isEqualTo("v-2");
			assertThat(events(CredentialsRotatedEvent.class)).singleElement()
				.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.LEASE_GONE));
			assertThat(status().next().at()).isEqualTo(T0.plusSeconds(40));
		}

		@Test
		void aPermissionErrorOfADrainingUserEvictsItsConnectionsAtOnce() {
			start();
			target().drainSteps(Duration.ofSeconds(5), Duration.ofSeconds(5));
			forceRotationAt(Duration.ofSeconds(10));
			target().refuse("v-1");
			LeaseLifecycleTests.this.lifecycle.permissionDenied();
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(target().retirements().get(0).isDead()).isTrue();
			assertThat(status().username()).isEqualTo("v-2");
			assertThat(client().issued()).hasSize(2);
		}

		@Test
		void permissionChecksAreRateLimited() {
			start();
			LeaseLifecycleTests.this.clock.advance(Duration.ofSeconds(10));
			LeaseLifecycleTests.this.lifecycle.permissionDenied();
			LeaseLifecycleTests.this.scheduler.runDue();
			LeaseLifecycleTests.this.clock.advance(Duration.ofMillis(999));
			LeaseLifecycleTests.this.lifecycle.permissionDenied();
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(target().validated()).hasSize(2);
			LeaseLifecycleTests.this.clock.advance(Duration.ofMillis(1));
			LeaseLifecycleTests.this.lifecycle.permissionDenied();
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(target().validated()).hasSize(3);
			// Vault is asked at most every 10 s.
			assertThat(client().renewed()).hasSize(1);
		}

	}

	/**
	 * A static role: one database user whose password Vault rotates every 10 s here. The password
	 * is read again 1 s after Vault's rotation is due; nothing is renewed or revoked.
	 */
	@Nested
	class StaticRole {

		@Test
		void readsThePasswordAgainJustAfterVaultRotatesItAndSwitchesThePool() {
			client().staticRole(Duration.ofSeconds(10));
			start();
			assertThat(status().next()).isEqualTo(new LeaseStatus.Next(NextAction.ROTATE, T0.plusSeconds(11)));
			advance(Duration.ofMillis(10_999));
			assertThat(client().issued()).hasSize(1);
			advance(Duration.ofMillis(1));
			assertThat(target().switches()).singleElement().satisfies((change) -> {
				assertThat(change.previous()).isEqualTo(staticCredentials(1));
				assertThat(change.next()).isEqualTo(staticCredentials(2));
				// The old password's sessions keep working: no hurry to evict them.
				assertThat(change.previousDead()).isFalse();
			});
			assertThat(events(CredentialsRotatedEvent.class)).singleElement().satisfies((event) -> {
				assertThat(event.getReason()).isEqualTo(RotationReason.PASSWORD_ROTATED);
				assertThat(event.getUsername()).isEqualTo(FakeDatabaseSecretsClient.STATIC_USER);
				assertThat(event.getPreviousUsername()).isEqualTo(FakeDatabaseSecretsClient.STATIC_USER);
			});
			assertThat(target().installed()).containsExactly(staticCredentials(1));
			assertThat(LeaseLifecycleTests.this.lifecycle.counters().rotations(RotationReason.PASSWORD_ROTATED))
				.isEqualTo(1);
			assertThat(status().next()).isEqualTo(new LeaseStatus.Next(NextAction.ROTATE, T0.plusSeconds(21)));
			advance(Duration.ofSeconds(30));
			assertThat(target().switches()).extracting((change) -> change.next())
				.containsExactly(staticCredentials(2), staticCredentials(3), staticCredentials(4),
						staticCredentials(5));
			assertThat(client().renewed()).isEmpty();
			assertThat(events(LeaseFailureEvent.class)).isEmpty();
		}

		@Test
		void drainsTheOldPasswordsConnectionsWithinTheDrainBudgetNotAtOnce() {
			client().staticRole(Duration.ofSeconds(10));
			start();
			advance(Duration.ofSeconds(11));
			// Switched at 11 s, 9 s before Vault's next rotation: 0.4 of that is kept for draining.
			assertThat(target().retirements()).singleElement()
				.satisfies((retirement) -> assertThat(retirement.deadlines()).containsExactly(T0.plusMillis(14_600)));
		}

		@Test
		void anUnchangedPasswordIsKeptAndReadAgainUntilVaultHasRotatedIt() {
			client().staticRole(Duration.ofSeconds(10)).rotationLag(Duration.ofMillis(2500));
			start();
			advance(Duration.ofSeconds(11));
			assertThat(target().switches()).isEmpty();
			assertThat(status().next()).isEqualTo(new LeaseStatus.Next(NextAction.ROTATE, T0.plusSeconds(12)));
			LeaseLifecycleTests.this.clock.advance(Duration.ofMillis(500));
			// Past the time Vault gave: the password is still the one in use, not expired.
			assertThat(status().state()).isEqualTo(State.ACTIVE);
			advance(Duration.ofMillis(500));
			assertThat(client().issued()).hasSize(3);
			assertThat(target().switches()).isEmpty();
			assertThat(status().counts().rotations()).isZero();
			advance(Duration.ofSeconds(1));
			assertThat(target().switches()).singleElement()
				.satisfies((change) -> assertThat(change.next()).isEqualTo(staticCredentials(2)));
			assertThat(events(LeaseFailureEvent.class)).isEmpty();
			assertThat(status().state()).isEqualTo(State.ACTIVE);
		}

		@Test
		void switchesToANewPasswordEvenWhenItsFirstConnectionsOutlastTheTimeUntilVaultsNextRotation() {
			client().staticRole(Duration.ofSeconds(10));
			start();
			// The new password's first logins take 12 s (a stalled process): past the 9 s Vault gave
			// until its next rotation. Unlike an expired dynamic user, the password works until Vault
			// changes it, and the sessions opened with it outlive that; a login refused after the
			// change makes the pool read the next one at once.
			target().duringValidation(() -> {
				if (client().issued().size() == 2) {
					LeaseLifecycleTests.this.clock.advance(Duration.ofSeconds(12));
				}
			});
			advance(Duration.ofSeconds(11));
			assertThat(target().switches()).singleElement()
				.satisfies((change) -> assertThat(change.next()).isEqualTo(staticCredentials(2)));
			assertThat(events(LeaseFailureEvent.class)).isEmpty();
		}

		@Test
		void aRefusedLoginReadsThePasswordAtOnceWhenItWasRotatedFromOutside() {
			client().staticRole(Duration.ofSeconds(10));
			start();
			LeaseLifecycleTests.this.clock.advance(Duration.ofSeconds(4));
			client().rotateFromOutside();
			LeaseLifecycleTests.this.lifecycle.loginRejected(staticCredentials(1), "28P01");
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(target().switches()).singleElement().satisfies((change) -> {
				assertThat(change.next()).isEqualTo(staticCredentials(2));
				assertThat(change.previousDead()).isFalse();
			});
			assertThat(events(CredentialsRotatedEvent.class)).singleElement()
				.satisfies((event) -> assertThat(event.getReason()).isEqualTo(RotationReason.PASSWORD_ROTATED));
			assertThat(status().state()).isEqualTo(State.ACTIVE);
			// Vault's next rotation is a period after the forced one.
			assertThat(status().next()).isEqualTo(new LeaseStatus.Next(NextAction.ROTATE, T0.plusSeconds(15)));
		}

		@Test
		void aForcedRotationOnlyReadsThePasswordAgain() {
			client().staticRole(Duration.ofSeconds(10));
			start();
			forceRotationAt(Duration.ofSeconds(3));
			assertThat(client().issued()).hasSize(2);
			assertThat(target().switches()).isEmpty();
			assertThat(status().next()).isEqualTo(new LeaseStatus.Next(NextAction.ROTATE, T0.plusSeconds(11)));
		}

		@Test
		void whileVaultIsAwayPastTheRotationTimeTheLeaseIsFailingNotExpired() {
			client().staticRole(Duration.ofSeconds(10));
			start();
			client().failIssueAlways(Failure.UNAVAILABLE);
			advance(Duration.ofSeconds(15));
			LeaseStatus status = status();
			assertThat(status.state()).isEqualTo(State.FAILING);
			assertThat(status.failures().consecutive()).isPositive();
			assertThat(status.username()).isEqualTo(FakeDatabaseSecretsClient.STATIC_USER);
			assertThat(target().switches()).isEmpty();
			client().failIssueAlways(null);
			advance(Duration.ofSeconds(5));
			assertThat(target().switches()).singleElement()
				.satisfies((change) -> assertThat(change.next()).isEqualTo(staticCredentials(2)));
			assertThat(status().state()).isEqualTo(State.ACTIVE);
		}

		@Test
		void stoppingRevokesNothing() {
			client().staticRole(Duration.ofSeconds(10));
			start();
			advance(Duration.ofSeconds(25));
			assertThat(target().switches()).hasSize(2);
			stop(true);
			assertThat(client().revoked()).isEmpty();
			assertThat(log()).contains("close pool").noneMatch((line) -> line.startsWith("revoke"));
			assertThat(events(LeaseRevokedEvent.class)).isEmpty();
			assertThat(status().counts().revocations()).isZero();
			assertThat(status().state()).isEqualTo(State.STOPPED);
		}

		private DatabaseCredentials staticCredentials(int version) {
			return new DatabaseCredentials(FakeDatabaseSecretsClient.STATIC_USER,
					FakeDatabaseSecretsClient.password(version));
		}

	}

	@Nested
	class RevokeWait {

		@BeforeEach
		void jitter() {
			LeaseLifecycleTests.this.policy = new LeasePolicy(0.5, 0.1, 0.4, Duration.ofSeconds(1),
					Duration.ofSeconds(1), Duration.ofSeconds(30), new SplittableRandom(7));
		}

		@Test
		void revokesTheOldLeaseARandomMomentAfterItsDrainAndTheEventCarriesThatWait() {
			start();
			// Forced 10 s in: v-1 has 50 s left once drained, so its revocation waits up to 2 s (a tenth
			// of what is left would be 5 s).
			forceRotationAt(Duration.ofSeconds(10));
			Instant drained = LeaseLifecycleTests.this.clock.instant();
			assertThat(target().currentUsername()).isEqualTo("v-2");
			assertThat(log()).contains("drained v-1");
			assertThat(client().revoked()).isEmpty();
			assertThat(events(CredentialsRotatedEvent.class)).isEmpty();
			Instant due = LeaseLifecycleTests.this.revocations.nextDueAt().orElseThrow();
			Duration scheduled = Duration.between(drained, due);
			assertThat(scheduled).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(2));
			advance(scheduled.minusMillis(1));
			assertThat(client().revoked()).isEmpty();
			advance(Duration.ofMillis(1));
			assertThat(client().revokedUsernames()).containsExactly("v-1");
			assertThat(events(CredentialsRotatedEvent.class)).singleElement().satisfies((event) -> {
				Timings timings = event.getTimings();
				assertThat(timings.revokeWait()).isEqualTo(scheduled);
				assertThat(event.getRevokeWait()).isEqualTo(scheduled);
				assertThat(event.isPreviousRevoked()).isTrue();
				// The wait is no part of what the rotation cost.
				assertThat(event.getTotalDuration()).isEqualTo(timings.issue()
					.plus(timings.validation())
					.plus(timings.surge())
					.plus(timings.drain())
					.plus(timings.revoke()));
			});
			assertThat(status().state()).isEqualTo(State.ACTIVE);
		}

		@Test
		void isAtMostTheJittersShareOfWhatTheOldLeaseHasLeft() {
			client().renewable(false);
			start();
			// The 60 s lease cannot be renewed: forced 57 s in, 3 s left, so at most 0.3 s of wait.
			forceRotationAt(Duration.ofSeconds(57));
			assertThat(target().currentUsername()).isEqualTo("v-2");
			Duration scheduled = Duration.between(LeaseLifecycleTests.this.clock.instant(),
					LeaseLifecycleTests.this.revocations.nextDueAt().orElseThrow());
			assertThat(scheduled).isPositive().isLessThanOrEqualTo(Duration.ofMillis(300));
			advance(Duration.ofMillis(300));
			assertThat(client().revokedUsernames()).containsExactly("v-1");
			assertThat(events(CredentialsRotatedEvent.class)).singleElement()
				.satisfies((event) -> assertThat(event.getRevokeWait()).isEqualTo(scheduled));
		}

		@Test
		void withoutJitterTheOldLeaseIsRevokedAsSoonAsItIsDrained() {
			LeaseLifecycleTests.this.policy = new LeasePolicy(0.5, 0, 0.4, Duration.ofSeconds(1), Duration.ofSeconds(1),
					Duration.ofSeconds(30), new SplittableRandom(7));
			start();
			forceRotationAt(Duration.ofSeconds(10));
			assertThat(client().revokedUsernames()).containsExactly("v-1");
			assertThat(events(CredentialsRotatedEvent.class)).singleElement()
				.satisfies((event) -> assertThat(event.getRevokeWait()).isZero());
		}

		@Test
		void credentialsTheDatabaseRefusesAreRevokedWithoutWaiting() {
			start();
			LeaseLifecycleTests.this.clock.advance(Duration.ofSeconds(10));
			LeaseLifecycleTests.this.lifecycle.loginRejected(credentials(1), "28P01");
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(client().revokedUsernames()).containsExactly("v-1");
			assertThat(events(CredentialsRotatedEvent.class)).singleElement().satisfies((event) -> {
				assertThat(event.getReason()).isEqualTo(RotationReason.CREDENTIALS_REJECTED);
				assertThat(event.getRevokeWait()).isZero();
			});
		}

		@Test
		void aLeaseVaultNoLongerKnowsIsRetiredWithoutWaiting() {
			start();
			client().revokeBehindOurBack(client().issued().get(0));
			advance(Duration.ofSeconds(30));
			assertThat(events(CredentialsRotatedEvent.class)).singleElement().satisfies((event) -> {
				assertThat(event.getReason()).isEqualTo(RotationReason.LEASE_GONE);
				assertThat(event.getRevokeWait()).isZero();
			});
		}

		@Test
		void aStaticRoleHasNothingToRevokeAndDoesNotWait() {
			client().staticRole(Duration.ofSeconds(10));
			start();
			advance(Duration.ofSeconds(11));
			assertThat(events(CredentialsRotatedEvent.class)).singleElement().satisfies((event) -> {
				assertThat(event.getReason()).isEqualTo(RotationReason.PASSWORD_ROTATED);
				assertThat(event.getRevokeWait()).isZero();
			});
			assertThat(client().revoked()).isEmpty();
		}

		@Test
		void stoppingWhileTheRevocationWaitsRevokesTheOldLeaseOnceAndPublishesNoRotation() {
			start();
			forceRotationAt(Duration.ofSeconds(10));
			assertThat(LeaseLifecycleTests.this.revocations.nextDueAt()).isPresent();
			assertThat(client().revoked()).isEmpty();
			stop(true);
			assertThat(log()).containsSubsequence("close pool", "revoke v-1");
			assertThat(client().revokedUsernames()).containsExactlyInAnyOrder("v-1", "v-2");
			assertThat(events(LeaseRevokedEvent.class)).hasSize(2)
				.allSatisfy((event) -> assertThat(event.isShutdown()).isTrue());
			advance(Duration.ofSeconds(30));
			assertThat(client().revoked()).hasSize(2);
			assertThat(events(CredentialsRotatedEvent.class)).isEmpty();
			assertThat(LeaseLifecycleTests.this.scheduler.pendingTasks()).isZero();
		}

		@Test
		void stoppingWithoutRevokingWhileTheRevocationWaitsLeavesBothLeasesToExpire() {
			start();
			forceRotationAt(Duration.ofSeconds(10));
			stop(false);
			assertThat(LeaseLifecycleTests.this.lifecycle.counters().unrevoked(LeaseLifecycleTests.this.clock.instant()))
				.isEqualTo(2);
			advance(Duration.ofSeconds(30));
			assertThat(client().revoked()).isEmpty();
			assertThat(events(CredentialsRotatedEvent.class)).isEmpty();
		}

	}

	@Nested
	class Shutdown {

		@Test
		void closesThePoolBeforeRevokingTheLease() {
			start();
			CredentialLease first = client().issued().get(0);
			LeaseLifecycleTests.this.clock.advance(Duration.ofSeconds(10));
			stop(true);
			assertThat(log()).containsSubsequence("close pool", "revoke v-1");
			assertThat(client().revoked()).containsExactly(first);
			assertThat(events(LeaseRevokedEvent.class)).singleElement().satisfies((event) -> {
				assertThat(event.getUsername()).isEqualTo("v-1");
				assertThat(event.isShutdown()).isTrue();
			});
			LeaseStatus status = status();
			assertThat(status.state()).isEqualTo(State.STOPPED);
			assertThat(status.next()).isEqualTo(new LeaseStatus.Next(NextAction.NONE, null));
			assertThat(LeaseLifecycleTests.this.lifecycle.counters().revocations(RevocationTrigger.SHUTDOWN)).isEqualTo(1);
			assertThat(LeaseLifecycleTests.this.main.isClosed()).isTrue();
			assertThat(LeaseLifecycleTests.this.retire.isClosed()).isTrue();
			assertThat(LeaseLifecycleTests.this.calls.isClosed()).isTrue();
			assertThat(LeaseLifecycleTests.this.revocations.isClosed()).isTrue();
			assertThat(LeaseLifecycleTests.this.newLease.isClosed()).isTrue();
		}

		@Test
		void duringADrainRevokesBothTheOldAndTheNewLease() {
			start();
			target().drainSteps(Duration.ofSeconds(5), Duration.ofSeconds(5));
			forceRotationAt(Duration.ofSeconds(10));
			assertThat(client().revoked()).isEmpty();
			stop(true);
			assertThat(client().revokedUsernames()).containsExactlyInAnyOrder("v-1", "v-2");
			assertThat(target().retirements().get(0).isAbandoned()).isTrue();
			assertThat(log()).containsSubsequence("abandon v-1", "close pool");
			advance(Duration.ofMinutes(5));
			assertThat(client().revoked()).hasSize(2);
		}

		@Test
		void whileARotationIsIssuingRevokesTheLeaseItObtainsAfterwards() {
			start();
			// stop() is called on another thread while Vault is still answering the issue request.
			client().issueLatency(Duration.ofSeconds(3));
			target().duringValidation(() -> {
			});
			LeaseLifecycleTests.this.clock.advance(Duration.ofSeconds(10));
			LeaseLifecycleTests.this.lifecycle.rotateNow(RotationReason.FORCED);
			client().onNextIssue(() -> stop(true));
			LeaseLifecycleTests.this.scheduler.runDue();
			assertThat(client().issued()).hasSize(2);
			assertThat(client().revokedUsernames()).containsExactlyInAnyOrder("v-1", "v-2");
			assertThat(target().switches()).isEmpty();
			assertThat(target().validated()).extracting(DatabaseCredentials::username).containsExactly("v-1");
		}

		@Test
		void leavesTheLeasesToExpireWhenNotToRevoke() {
			start();
			stop(false);
			assertThat(log()).contains("close pool");
			assertThat(client().revoked()).isEmpty();
			assertThat(events(LeaseRevokedEvent.class)).isEmpty();
			assertThat(status().counts().unrevoked()).isEqualTo(1);
		}

		@Test
		void survivesAFailedRevocationAndCountsIt() {
			start();
			client().failRevocation(Failure.UNAVAILABLE);
			stop(true);
			assertThat(events(LeaseRevokedEvent.class)).isEmpty();
			assertThat(status().state()).isEqualTo(State.STOPPED);
			assertThat(LeaseLifecycleTests.this.lifecycle.counters().failedRevocations(RevocationTrigger.SHUTDOWN)).isEqualTo(1);
			assertThat(status().counts().unrevoked()).isEqualTo(1);
		}

		@Test
		void aStoppedLifecycleDoesNothingMore() {
			start();
			stop(true);
			LeaseLifecycleTests.this.lifecycle.rotateNow(RotationReason.FORCED);
			LeaseLifecycleTests.this.lifecycle.loginRejected(credentials(1), "28P01");
			LeaseLifecycleTests.this.lifecycle.permissionDenied();
			advance(Duration.ofMinutes(5));
			assertThat(client().issued()).hasSize(1);
			assertThat(client().renewed()).isEmpty();
			assertThat(status().state()).isEqualTo(State.STOPPED);
		}

		@Test
		void stoppingTwiceRevokesOnce() {
			start();
			stop(true);
			stop(true);
			assertThat(client().revoked()).hasSize(1);
		}

	}

	@Nested
	class NeverQuiet {

		@Test
		void anUnexpectedRenewalExceptionIsRetried() {
			client().throwOnRenewal(new IllegalStateException("Unexpected response from Vault"));
			start();
			advance(Duration.ofSeconds(30));
			LeaseStatus status = status();
			assertThat(status.state()).isEqualTo(State.FAILING);
			assertThat(status.next().at()).isAfter(LeaseLifecycleTests.this.clock.instant());
			advance(Duration.ofSeconds(6));
			assertThat(client().renewed()).hasSize(2);
			assertThat(status().state()).isEqualTo(State.ACTIVE);
		}

		@Test
		void anExceptionFromThePoolDuringInstallIsRecordedAndTheLifecycleKeepsGoing() {
			start();
			target().failNextSwitch(new IllegalStateException("switch"));
			target().failNextInstall(new IllegalStateException("install"));
			forceRotationAt(Duration.ofSeconds(10));
			LeaseStatus status = status();
			assertThat(LeaseLifecycleTests.this.lifecycle.counters().failures(FailureKind.INTERNAL)).isEqualTo(1);
			assertThat(status.failures().last()).startsWith("INTERNAL");
			assertThat(status.next().at()).isNotNull();
			assertThat(status.state()).isNotEqualTo(State.FAILED);
			// The credentials the pool could not take are not left behind.
			assertThat(client().revokedUsernames()).containsExactly("v-2");
		}

		@Test
		void whenNothingCanBePlannedTheLifecycleReportsItselfFailed() {
			start();
			// The strand refuses new work, as an executor shut down behind the lifecycle's back would.
			LeaseLifecycleTests.this.main.refuseNewTasks();
			client().failRenewal(Failure.UNAVAILABLE);
			advance(Duration.ofSeconds(30));
			LeaseStatus status = status();
			assertThat(status.state()).isEqualTo(State.FAILED);
			assertThat(status.failures().last()).startsWith("INTERNAL");
			assertThat(status.next().action()).isEqualTo(NextAction.NONE);
			assertThat(events(LeaseFailureEvent.class)).extracting(LeaseFailureEvent::getMessage)
				.anySatisfy((message) -> assertThat(message).startsWith("lifecycle failed"));
			LeaseLifecycleTests.this.lifecycle = null;
		}

	}

	@Test
	void statusBeforeStartIsStarting() {
		this.lifecycle = newLifecycle();
		LeaseStatus status = this.lifecycle.status();
		assertThat(status.state()).isEqualTo(State.STARTING);
		assertThat(status.lease()).isNull();
		assertThat(status.username()).isNull();
		assertThat(status.timeToExpiry()).isNull();
		assertThat(status.next().action()).isEqualTo(NextAction.NONE);
	}

	@Test
	void statusDescribesTheActiveLease() {
		start();
		this.clock.advance(Duration.ofSeconds(10));
		LeaseStatus status = status();
		assertThat(status.dataSourceName()).isEqualTo("dataSource");
		assertThat(status.role()).isEqualTo("app");
		assertThat(status.state()).isEqualTo(State.ACTIVE);
		assertThat(status.lease()).isEqualTo(new LeaseStatus.Current("v-1", "database/creds/app/…0001", T0,
				T0.plusSeconds(60), Duration.ofSeconds(50), Duration.ofSeconds(60), true, null));
		assertThat(status.history()).isEqualTo(new LeaseStatus.History(null, null));
		assertThat(status.failures()).isEqualTo(new LeaseStatus.Failures(0, null));
		assertThat(status.next()).isEqualTo(new LeaseStatus.Next(NextAction.RENEW, T0.plusSeconds(30)));
		assertThat(status.counts().renewals()).isZero();
		assertThat(status.counts().rotations()).isZero();
		assertThat(status.counts().failures()).isZero();
		assertThat(status.counts().revocations()).isZero();
	}

	@Test
	void eventsStatusAndToStringNeverShowPasswordsOrFullLeaseIds() {
		this.client.failRenewal(Failure.UNAVAILABLE).grantRenewal(Duration.ofSeconds(40), true, true);
		start();
		advance(Duration.ofSeconds(30));
		List<String> seen = new ArrayList<>();
		seen.add(status().toString());
		advance(Duration.ofSeconds(1));
		this.target.failNextValidations(1);
		advance(Duration.ofSeconds(20));
		seen.add(status().toString());
		advance(Duration.ofSeconds(5));
		this.client.revokeBehindOurBack(this.lifecycle.currentLease());
		this.client.failIssue(Failure.PERMISSION_DENIED);
		advance(Duration.ofSeconds(60));
		seen.add(status().toString());
		stop(true);
		seen.add(status().toString());
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

	private void start() {
		this.lifecycle = newLifecycle();
		this.lifecycle.start();
		this.scheduler.runDue();
	}

	// The checks that follow the start (token capabilities, max_ttl) are held for the test to run;
	// unlike start(), nothing has run on the scheduler yet.
	private List<Runnable> startWithHeldChecks() {
		List<Runnable> held = new ArrayList<>();
		this.lifecycle = newLifecycle();
		this.lifecycle.runChecksAfterStart(held::add);
		this.lifecycle.start();
		return held;
	}

	private void stop(boolean revoke) {
		this.lifecycle.stop(() -> this.log.add("close pool"), revoke, Duration.ofSeconds(5));
	}

	private void forceRotationAt(Duration after) {
		this.clock.advance(after);
		this.lifecycle.rotateNow(RotationReason.FORCED);
		this.scheduler.runDue();
	}

	// The second user's validation takes {@code seconds}, in steps of 10 s on the manual scheduler,
	// so the calls strand runs meanwhile.
	private void slowValidationOfTheSecondUser(int seconds) {
		this.target.duringValidation(() -> {
			if (this.client.issued().size() == 2) {
				for (int i = 0; i < seconds / 10; i++) {
					this.scheduler.advance(Duration.ofSeconds(10));
				}
			}
		});
	}

	private void advance(Duration duration) {
		this.scheduler.advance(duration);
	}

	private LeaseLifecycle newLifecycle() {
		return new LeaseLifecycle("dataSource", "app", this.client, this.target,
				new LeaseLifecycle.Strands(this.main, this.retire, this.calls, this.revocations,
						this.newLease), this.clock,
				this.policy, (event) -> this.events.add((ApplicationEvent) event), this.tokens);
	}

	private LeaseStatus status() {
		return this.lifecycle.status();
	}

	private FakeDatabaseSecretsClient client() {
		return this.client;
	}

	private RecordingCredentialsTarget target() {
		return this.target;
	}

	private List<String> log() {
		return this.log;
	}

	private List<ApplicationEvent> events() {
		return this.events;
	}

	private <E> List<E> events(Class<E> type) {
		return this.events.stream().filter(type::isInstance).map(type::cast).toList();
	}

	private static DatabaseCredentials credentials(int number) {
		return new DatabaseCredentials("v-" + number, FakeDatabaseSecretsClient.password(number));
	}

	private static Failure[] failures(Failure failure, int count) {
		Failure[] failures = new Failure[count];
		java.util.Arrays.fill(failures, failure);
		return failures;
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
