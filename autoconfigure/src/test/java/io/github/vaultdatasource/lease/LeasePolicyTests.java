package io.github.vaultdatasource.lease;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.SplittableRandom;

import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.DatabaseCredentials;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link LeasePolicy}.
 */
class LeasePolicyTests {

	private static final int DRAWS = 10_000;

	private static final Duration TTL = Duration.ofMinutes(10);

	private static final Instant NOW = Instant.parse("2025-01-01T10:00:00Z");

	@Test
	void renewDelayStaysWithinJitterOfRenewShare() {
		LeasePolicy policy = policy(0.5, 0.1, 0.4);
		// A nanosecond of slack for floating-point rounding at the window's edges.
		Duration low = scale(TTL, 0.5 * 0.9).minusNanos(1);
		Duration high = scale(TTL, 0.5 * 1.1).plusNanos(1);
		Duration shortest = TTL;
		Duration longest = Duration.ZERO;
		for (int i = 0; i < DRAWS; i++) {
			Duration delay = policy.renewDelay(TTL, Duration.ZERO);
			assertThat(delay).isBetween(low, high);
			shortest = (delay.compareTo(shortest) < 0) ? delay : shortest;
			longest = (delay.compareTo(longest) > 0) ? delay : longest;
		}
		// The jitter really spreads a fleet over the whole window rather than a single point.
		assertThat(shortest).isLessThan(scale(TTL, 0.46));
		assertThat(longest).isGreaterThan(scale(TTL, 0.54));
	}

	@Test
	void aLeaseBeingReplacedIsRenewedNoLaterThanItsRegularRenewal() {
		LeasePolicy policy = policy(0.5, 0, 0.2);
		// Renewed for 4 s a second before its rotation began: its regular renewal is 1 s away, half of
		// what it has left 1.5 s. CI lost a lease this way when Vault took 1.6 s to answer.
		assertThat(policy.keepAliveDelay(Duration.ofSeconds(3), Duration.ofSeconds(4), Duration.ZERO))
			.isEqualTo(Duration.ofSeconds(1));
		// Its regular renewal is overdue: at once.
		assertThat(policy.keepAliveDelay(Duration.ofSeconds(1), Duration.ofSeconds(4), Duration.ZERO)).isZero();
		// Two of Vault's answers before the end, and never a negative delay.
		assertThat(policy.keepAliveDelay(Duration.ofSeconds(3), Duration.ofSeconds(4), Duration.ofMillis(1200)))
			.isEqualTo(Duration.ofMillis(600));
		assertThat(policy.keepAliveDelay(Duration.ofSeconds(1), Duration.ofSeconds(4), Duration.ofSeconds(1)))
			.isZero();
		// Renewed late in its life (renew share 0.75), half of what it has left comes first.
		assertThat(policy(0.75, 0, 0.2).keepAliveDelay(Duration.ofSeconds(30), Duration.ofSeconds(40),
				Duration.ZERO)).isEqualTo(Duration.ofSeconds(15));
	}

	@Test
	void renewDelayWithoutJitterIsExactlyRenewShare() {
		LeasePolicy policy = policy(0.5, 0, 0.4);
		for (int i = 0; i < 100; i++) {
			assertThat(policy.renewDelay(TTL, Duration.ZERO)).isEqualTo(Duration.ofMinutes(5));
		}
		assertThat(policy(0.75, 0, 0.2).renewDelay(Duration.ofSeconds(60), Duration.ZERO)).isEqualTo(Duration.ofSeconds(45));
	}

	@Test
	void renewDelayAlwaysLeavesTimeBeforeExpiry() {
		LeasePolicy policy = policy(0.9, 0.5, 0.4);
		for (int i = 0; i < DRAWS; i++) {
			assertThat(policy.renewDelay(TTL, Duration.ZERO)).isLessThan(TTL).isLessThanOrEqualTo(scale(TTL, 0.95));
		}
	}

	@Test
	void drainBudgetIsDrainShareOfIssuedTtl() {
		LeasePolicy policy = policy(0.5, 0.1, 0.4);
		assertThat(policy.drainBudget(TTL)).isEqualTo(Duration.ofMinutes(4));
		assertThat(policy.drainBudget(Duration.ofSeconds(60))).isEqualTo(Duration.ofSeconds(24));
	}

	@Test
	void drainBudgetIsNeverBelowMinimum() {
		LeasePolicy policy = new LeasePolicy(0.5, 0.1, 0.4, Duration.ofSeconds(5), Duration.ofSeconds(1),
				Duration.ofSeconds(30), new SplittableRandom(1));
		assertThat(policy.drainBudget(Duration.ofSeconds(10))).isEqualTo(Duration.ofSeconds(5));
	}

	@Test
	void drainBudgetIsNeverLongerThanIssuedTtl() {
		LeasePolicy policy = new LeasePolicy(0.5, 0.1, 0.4, Duration.ofSeconds(30), Duration.ofSeconds(1),
				Duration.ofSeconds(30), new SplittableRandom(1));
		assertThat(policy.drainBudget(Duration.ofSeconds(10))).isEqualTo(Duration.ofSeconds(10));
		assertThat(policy.drainBudget(Duration.ZERO)).isEqualTo(Duration.ZERO);
	}

	@Test
	void renewDelayLeavesTimeForARetryWhenVaultIsSlow() {
		LeasePolicy policy = policy(0.5, 0, 0.4);
		// Half of 4 s would leave 2 s: not enough for two answers that take 1.5 s each.
		assertThat(policy.renewDelay(Duration.ofSeconds(4), Duration.ofMillis(1500))).isEqualTo(Duration.ofSeconds(1));
		assertThat(policy.renewDelay(TTL, Duration.ofMillis(1500))).isEqualTo(Duration.ofMinutes(5));
	}

	@Test
	void renewDelayNeverDropsBelowAFloorEvenWhenVaultIsSlowerThanTheLease() {
		LeasePolicy policy = policy(0.5, 0, 0.4);
		assertThat(policy.renewDelay(Duration.ofSeconds(4), Duration.ofSeconds(3))).isEqualTo(Duration.ofMillis(200));
		assertThat(policy.renewDelay(Duration.ofMillis(400), Duration.ofSeconds(3))).isEqualTo(Duration.ofMillis(100));
	}

	@Test
	void rotationLeadIsTheDrainBudgetOrTwiceTheObservedCost() {
		LeasePolicy policy = policy(0.5, 0, 0.4);
		assertThat(policy.rotationLead(Duration.ofSeconds(4), Duration.ZERO)).isEqualTo(Duration.ofMillis(1600));
		assertThat(policy.rotationLead(Duration.ofSeconds(4), Duration.ofMillis(1500))).isEqualTo(Duration.ofSeconds(3));
		assertThat(policy.rotationLead(TTL, Duration.ofMillis(1500))).isEqualTo(Duration.ofMinutes(4));
	}

	@Test
	void rotateAtIsTheLeadBeforeTheEndWithoutJitter() {
		LeasePolicy policy = policy(0.5, 0, 0.4);
		Instant end = NOW.plus(Duration.ofHours(1));
		assertThat(policy.rotateAt(end, NOW, TTL, Duration.ZERO)).isEqualTo(end.minus(Duration.ofMinutes(4)));
		assertThat(policy.rotateAt(NOW.plusSeconds(12), NOW, Duration.ofSeconds(4), Duration.ofMillis(1500)))
			.isEqualTo(NOW.plusSeconds(9));
	}

	@Test
	void rotateAtSpreadsOverTheLeasesLifeByUpToTheJitter() {
		LeasePolicy policy = policy(0.5, 0.2, 0.4);
		Instant end = NOW.plus(Duration.ofHours(1));
		Instant latest = end.minus(Duration.ofMinutes(4));
		// Up to a fifth of the 56 minutes before the latest rotation time.
		Instant earliest = latest.minus(scale(Duration.ofMinutes(56), 0.2)).minusNanos(1);
		Instant first = latest;
		Instant last = earliest;
		for (int i = 0; i < DRAWS; i++) {
			Instant at = policy.rotateAt(end, NOW, TTL, Duration.ZERO);
			assertThat(at).isBetween(earliest, latest);
			first = at.isBefore(first) ? at : first;
			last = at.isAfter(last) ? at : last;
		}
		assertThat(first).isBefore(latest.minus(Duration.ofMinutes(10)));
		assertThat(last).isAfter(latest.minus(Duration.ofMinutes(1)));
	}

	@Test
	void rotateAtNeverFallsIntoTheFirstQuarterOfTheLeasesLife() {
		LeasePolicy policy = policy(0.5, 0, 0.4);
		// A rotation would cost more than the whole lease: rotate late in its life, not in a loop.
		assertThat(policy.rotateAt(NOW.plusSeconds(12), NOW, Duration.ofSeconds(4), Duration.ofSeconds(20)))
			.isEqualTo(NOW.plusSeconds(3));
	}

	@Test
	void rotateAtRandomPhaseCoversTheWholeSafeWindowOfTheLease() {
		LeasePolicy policy = policy(0.5, 0.1, 0.4);
		Instant end = NOW.plus(Duration.ofHours(1));
		Instant latest = end.minus(Duration.ofMinutes(4));
		Instant first = latest;
		Instant last = NOW;
		int firstQuarter = 0;
		for (int i = 0; i < DRAWS; i++) {
			Instant at = policy.rotateAtRandomPhase(end, NOW, TTL, Duration.ZERO);
			assertThat(at).isBetween(NOW, latest);
			first = at.isBefore(first) ? at : first;
			last = at.isAfter(last) ? at : last;
			firstQuarter += at.isBefore(NOW.plus(Duration.ofMinutes(14))) ? 1 : 0;
		}
		// Uniform over the 56 minutes: the fleet's phases spread over the whole max_ttl.
		assertThat(first).isBefore(NOW.plus(Duration.ofMinutes(1)));
		assertThat(last).isAfter(latest.minus(Duration.ofMinutes(1)));
		assertThat(firstQuarter).isBetween(DRAWS / 4 - DRAWS / 20, DRAWS / 4 + DRAWS / 20);
	}

	@Test
	void rotateAtRandomPhaseKeepsTheLeadAPastRotationCostAsks() {
		LeasePolicy policy = policy(0.5, 0, 0.4);
		Instant end = NOW.plusSeconds(12);
		for (int i = 0; i < DRAWS; i++) {
			// Twice the 1.5 s a rotation costs: never later than 3 s before the end.
			assertThat(policy.rotateAtRandomPhase(end, NOW, Duration.ofSeconds(4), Duration.ofMillis(1500)))
				.isBetween(NOW, NOW.plusSeconds(9));
		}
	}

	@Test
	void aRandomPhaseIsOnlyTakenEarlyInTheLeasesLife() {
		LeasePolicy policy = policy(0.5, 0.1, 0.4);
		Instant end = NOW.plus(Duration.ofHours(1));
		assertThat(policy.isEarlyInLife(NOW, end, NOW)).isTrue();
		assertThat(policy.isEarlyInLife(NOW.plus(Duration.ofMinutes(15)), end, NOW)).isTrue();
		assertThat(policy.isEarlyInLife(NOW.plus(Duration.ofMinutes(16)), end, NOW)).isFalse();
	}

	@Test
	void retryDelayIsAFifthToNineTenthsOfTheRemainingValidity() {
		LeasePolicy policy = policy(0.5, 0.1, 0.4);
		// 5 minutes left: 60 s to 270 s (what a rotation costs, 2 s, is far less).
		Duration remaining = Duration.ofMinutes(5);
		Duration shortest = remaining;
		Duration longest = Duration.ZERO;
		for (int i = 0; i < DRAWS; i++) {
			Duration delay = policy.retryDelay(remaining, Duration.ofSeconds(2));
			assertThat(delay).isBetween(Duration.ofSeconds(60), Duration.ofSeconds(270));
			shortest = (delay.compareTo(shortest) < 0) ? delay : shortest;
			longest = (delay.compareTo(longest) > 0) ? delay : longest;
		}
		assertThat(shortest).isLessThan(Duration.ofSeconds(61));
		assertThat(longest).isGreaterThan(Duration.ofSeconds(269));
	}

	@Test
	void retryDelayOfALongLeaseIsAFifthToNineTenthsOfTenMinutesWithoutBunchingAtTheLimit() {
		LeasePolicy policy = policy(0.5, 0.1, 0.4);
		// 20 minutes left: 2 to 9 minutes, spread evenly, none held at a common limit.
		int[] perTenSeconds = new int[60];
		for (int i = 0; i < DRAWS; i++) {
			Duration delay = policy.retryDelay(Duration.ofMinutes(20), Duration.ofSeconds(2));
			assertThat(delay).isBetween(Duration.ofMinutes(2), Duration.ofMinutes(9));
			perTenSeconds[(int) (delay.toSeconds() / 10)]++;
		}
		// 42 ten-second slots share the draws: about 240 each.
		assertThat(Arrays.stream(perTenSeconds).max().getAsInt()).isLessThan(400);
	}

	@Test
	void retryIsNeverPlannedPastTheLastMomentARotationCanStart() {
		LeasePolicy policy = policy(0.5, 0.1, 0.4);
		// A rotation that costs 20 s: below 40 s left, that and not half of what is left binds.
		Duration cost = Duration.ofSeconds(20);
		for (long left = 1; left <= 300; left++) {
			Duration remaining = Duration.ofSeconds(left);
			Duration needed = cost;
			for (int i = 0; i < 100; i++) {
				Duration delay = policy.retryDelay(remaining, cost);
				if (remaining.minus(needed).compareTo(Duration.ofMillis(200)) >= 0) {
					assertThat(delay).isLessThanOrEqualTo(remaining.minus(needed));
				}
				else {
					Duration half = remaining.dividedBy(2);
					assertThat(delay).isLessThanOrEqualTo((half.compareTo(Duration.ofMillis(200)) > 0) ? half
							: Duration.ofMillis(200));
				}
			}
		}
	}

	@Test
	void retriesGetDenserAsTheLeaseNearsItsEnd() {
		LeasePolicy policy = policy(0.5, 0, 0.4);
		Duration cost = Duration.ofSeconds(1);
		// A renewal failed with 150 s left and Vault stays away: how often the instance tries.
		Duration remaining = Duration.ofSeconds(150);
		int tries = 0;
		while (!remaining.isNegative() && !remaining.isZero()) {
			remaining = remaining.minus(policy.retryDelay(remaining, cost));
			tries++;
		}
		assertThat(tries).isBetween(5, 30);
	}

	@Test
	void retriesWithJitterStillGetDenserAsTheLeaseNearsItsEnd() {
		LeasePolicy policy = policy(0.5, 0.1, 0.4);
		Duration cost = Duration.ofSeconds(1);
		// A renewal failed with 150 s left and Vault stays away: each try waits at most nine tenths
		// of what is left, so the instance tries several times before the lease ends.
		for (int run = 0; run < 1000; run++) {
			Duration remaining = Duration.ofSeconds(150);
			int tries = 0;
			while (!remaining.isNegative() && !remaining.isZero()) {
				Duration delay = policy.retryDelay(remaining, cost);
				if (remaining.compareTo(Duration.ofSeconds(2)) > 0) {
					assertThat(delay).isLessThanOrEqualTo(remaining.multipliedBy(9).dividedBy(10));
				}
				remaining = remaining.minus(delay);
				tries++;
			}
			assertThat(tries).isBetween(3, 40);
		}
	}

	@Test
	void retriesNearTheLastMomentARotationCanStartSpreadBelowItInsteadOfMeetingOnIt() {
		LeasePolicy policy = policy(0.5, 0.1, 0.4);
		// 10 s left, a rotation costs 4 s: the last moment is 6 s away. Drawn from a fifth to nine
		// tenths of 10 s and then capped, 43% of the retries would be exactly 6 s away, together.
		int atTheLastMoment = 0;
		int[] perHalfSecond = new int[13];
		for (int i = 0; i < DRAWS; i++) {
			Duration delay = policy.retryDelay(Duration.ofSeconds(10), Duration.ofSeconds(4));
			assertThat(delay).isBetween(Duration.ofMillis(1333), Duration.ofSeconds(6));
			atTheLastMoment += delay.equals(Duration.ofSeconds(6)) ? 1 : 0;
			perHalfSecond[(int) (delay.toMillis() / 500)]++;
		}
		assertThat(atTheLastMoment).isLessThan(DRAWS / 100);
		// 4.7 s of range in half seconds: about a ninth of the draws each.
		assertThat(Arrays.stream(perHalfSecond).max().getAsInt()).isLessThan(DRAWS / 6);
	}

	@Test
	void retriesAfterAnOutageSpreadOverMostOfWhatTheLeasesHaveLeft() {
		LeasePolicy policy = policy(0.5, 0.1, 0.4);
		// A thousand instances whose renewals failed in the same second, each with 110 s left:
		// their retries spread over 22 s to 99 s, none in the same second as more than a few
		// percent of them (13 a second on average).
		int[] perSecond = new int[110];
		for (int i = 0; i < 1000; i++) {
			Duration delay = policy.retryDelay(Duration.ofSeconds(110), Duration.ofSeconds(1));
			assertThat(delay).isBetween(Duration.ofSeconds(22), Duration.ofSeconds(99));
			perSecond[(int) delay.toSeconds()]++;
		}
		assertThat(Arrays.stream(perSecond).max().getAsInt()).isLessThan(40);
	}

	@Test
	void lastSafeRotationIsTheLeadBeforeTheExpiryButNeverInTheFirstQuarterOfTheGrant() {
		LeasePolicy policy = policy(0.5, 0.1, 0.4);
		Instant expiresAt = Instant.parse("2026-01-01T00:01:00Z");
		// A 60 s grant, a lead of 24 s (the drain budget): 36 s after the grant.
		assertThat(policy.lastSafeRotation(expiresAt, Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ZERO))
			.isEqualTo(expiresAt.minusSeconds(24));
		// A rotation that cost 40 s asks for a lead of 80 s: capped at three quarters of the grant.
		assertThat(policy.lastSafeRotation(expiresAt, Duration.ofSeconds(60), Duration.ofSeconds(60),
				Duration.ofSeconds(40)))
			.isEqualTo(expiresAt.minusSeconds(45));
		// A renewal that granted 8 s: at most 6 s before its expiry.
		assertThat(policy.lastSafeRotation(expiresAt, Duration.ofSeconds(8), Duration.ofSeconds(60), Duration.ZERO))
			.isEqualTo(expiresAt.minusSeconds(6));
	}

	@Test
	void revokeDelayIsHalfToAllOfTheJittersShareOfTheRemainingValidity() {
		LeasePolicy policy = policy(0.5, 0.1, 0.4);
		// 15 s left: 0.75 s to 1.5 s, spread over all of it.
		Duration longest = Duration.ZERO;
		Duration shortest = Duration.ofMillis(1500);
		for (int i = 0; i < DRAWS; i++) {
			Duration delay = policy.revokeDelay(Duration.ofSeconds(15));
			assertThat(delay).isBetween(Duration.ofMillis(750), Duration.ofMillis(1500));
			longest = (delay.compareTo(longest) > 0) ? delay : longest;
			shortest = (delay.compareTo(shortest) < 0) ? delay : shortest;
		}
		assertThat(shortest).isLessThan(Duration.ofMillis(780));
		assertThat(longest).isGreaterThan(Duration.ofMillis(1470));
	}

	@Test
	void revokeDelayIsOneToTwoSecondsOnALongLease() {
		// At least one second: an instance's revoke never falls in the second of the issue before it.
		LeasePolicy policy = policy(0.5, 0.5, 0.4);
		Duration longest = Duration.ZERO;
		Duration shortest = Duration.ofSeconds(2);
		for (int i = 0; i < DRAWS; i++) {
			Duration delay = policy.revokeDelay(Duration.ofHours(1));
			assertThat(delay).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(2));
			longest = (delay.compareTo(longest) > 0) ? delay : longest;
			shortest = (delay.compareTo(shortest) < 0) ? delay : shortest;
		}
		assertThat(shortest).isLessThan(Duration.ofMillis(1020));
		assertThat(longest).isGreaterThan(Duration.ofMillis(1980));
	}

	@Test
	void noRevokeDelayWithoutJitterOrOnceExpired() {
		assertThat(policy(0.5, 0, 0.4).revokeDelay(Duration.ofMinutes(5))).isZero();
		LeasePolicy policy = policy(0.5, 0.1, 0.4);
		assertThat(policy.revokeDelay(Duration.ZERO)).isZero();
		assertThat(policy.revokeDelay(Duration.ofSeconds(-3))).isZero();
	}

	@Test
	void retryDelayIsAtMostASecondOnceExpiredAndNeverBelowTheMinimum() {
		LeasePolicy policy = policy(0.5, 0.1, 0.4);
		for (int i = 0; i < DRAWS; i++) {
			assertThat(policy.retryDelay(Duration.ofSeconds(-5), Duration.ZERO)).isBetween(Duration.ofMillis(500),
					Duration.ofSeconds(1));
			assertThat(policy.retryDelay(Duration.ZERO, Duration.ZERO)).isBetween(Duration.ofMillis(500),
					Duration.ofSeconds(1));
			// A fifth to nine tenths of 300 ms, never below 200 ms.
			assertThat(policy.retryDelay(Duration.ofMillis(300), Duration.ZERO)).isBetween(Duration.ofMillis(200),
					Duration.ofMillis(270));
			assertThat(policy.retryDelay(Duration.ofMillis(100), Duration.ZERO)).isEqualTo(Duration.ofMillis(200));
		}
	}

	@Test
	void withoutJitterRetriesWaitHalfOfWhatIsLeftAndNoPhaseIsRandom() {
		LeasePolicy policy = policy(0.5, 0, 0.4);
		assertThat(policy.retryDelay(Duration.ofMinutes(20), Duration.ofSeconds(2)))
			.isEqualTo(Duration.ofMinutes(10));
		Instant end = NOW.plus(Duration.ofHours(1));
		assertThat(policy.rotateAtRandomPhase(end, NOW, TTL, Duration.ZERO)).isEqualTo(end.minus(Duration.ofMinutes(4)));
	}

	@Test
	void retryDelayIsAtMostTenMinutes() {
		LeasePolicy policy = policy(0.5, 0, 0.4);
		assertThat(policy.retryDelay(Duration.ofDays(20), Duration.ZERO))
			.isBetween(Duration.ofMinutes(5), Duration.ofMinutes(10));
	}

	@Test
	void validationRetriesBackOffAndNeverGoFasterThanTheFirstDelay() {
		LeasePolicy policy = policy(0.5, 0, 0.4);
		assertThat(policy.validationRetryDelay(1, Duration.ofHours(1))).isEqualTo(Duration.ofSeconds(1));
		assertThat(policy.validationRetryDelay(4, Duration.ofHours(1))).isEqualTo(Duration.ofSeconds(8));
		assertThat(policy.validationRetryDelay(10, Duration.ofHours(1))).isEqualTo(Duration.ofSeconds(30));
		assertThat(policy.validationRetryDelay(4, Duration.ofSeconds(1))).isEqualTo(Duration.ofSeconds(1));
		assertThat(policy.validationRetryDelay(10, Duration.ofSeconds(-1))).isEqualTo(Duration.ofSeconds(30));
	}

	@ParameterizedTest
	@ValueSource(doubles = { 0, 1, -0.1, 1.5, Double.NaN })
	void rejectsRenewShareOutsideZeroToOne(double renewShare) {
		assertThatIllegalArgumentException().isThrownBy(() -> policy(renewShare, 0.1, 0.4))
			.withMessageContaining("renewShare");
	}

	@ParameterizedTest
	@ValueSource(doubles = { 0, 1, -0.1, 1.5, Double.NaN })
	void rejectsDrainShareOutsideZeroToOne(double drainShare) {
		assertThatIllegalArgumentException().isThrownBy(() -> policy(0.5, 0.1, drainShare))
			.withMessageContaining("drainShare");
	}

	@ParameterizedTest
	@ValueSource(doubles = { -0.01, 0.51, 1, Double.NaN })
	void rejectsJitterOutsideZeroToHalf(double jitter) {
		assertThatIllegalArgumentException().isThrownBy(() -> policy(0.5, jitter, 0.4))
			.withMessageContaining("jitter");
	}

	@ParameterizedTest
	@ValueSource(doubles = { 0, 0.5 })
	void acceptsJitterAtBounds(double jitter) {
		assertThat(policy(0.5, jitter, 0.4).renewDelay(TTL, Duration.ZERO)).isPositive();
	}

	private static LeasePolicy policy(double renewShare, double jitter, double drainShare) {
		return new LeasePolicy(renewShare, jitter, drainShare, Duration.ofSeconds(1), Duration.ofSeconds(1),
				Duration.ofSeconds(30), new SplittableRandom(42));
	}

	private static CredentialLease lease(Duration ttl) {
		return CredentialLease.issued(new DatabaseCredentials("v-1", "secret"), "database/creds/app/AbCdEfGh1234",
				true, NOW, ttl);
	}

	private static Duration scale(Duration duration, double factor) {
		return Duration.ofNanos(Math.round(duration.toNanos() * factor));
	}

}
