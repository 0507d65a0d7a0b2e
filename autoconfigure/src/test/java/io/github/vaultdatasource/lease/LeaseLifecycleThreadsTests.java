package io.github.vaultdatasource.lease;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.DatabaseCredentials;
import io.github.vaultdatasource.RotationReason;
import io.github.vaultdatasource.vault.DatabaseSecretsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lifecycle on the library's real threads ({@link LeaseExecutor}), where the manual scheduler
 * of {@link LeaseLifecycleTests} cannot show it: which Vault calls may wait behind which. Time
 * stands still on the lifecycle's clock; latches, not delays, order the threads, and a timeout only
 * ends a test that fails.
 */
class LeaseLifecycleThreadsTests {

	private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

	private static final Duration TTL = Duration.ofSeconds(60);

	private static final long FAIL_AFTER_SECONDS = 20;

	private final MutableClock clock = new MutableClock(T0);

	private final LeaseExecutor executor = new LeaseExecutor();

	private final List<String> log = Collections.synchronizedList(new ArrayList<>());

	private final RecordingCredentialsTarget target = new RecordingCredentialsTarget(this.log);

	private final SlowRevocationClient client = new SlowRevocationClient();

	private LeaseLifecycle lifecycle;

	@AfterEach
	void stop() {
		this.client.revocationsMayEnd.countDown();
		if (this.lifecycle != null) {
			this.lifecycle.stop(() -> {
			}, false, Duration.ofSeconds(FAIL_AFTER_SECONDS));
		}
		this.executor.close();
	}

	@Test
	void aRenewalKeepingTheLeaseAliveThroughARotationDoesNotWaitForASlowRevocation() throws Exception {
		// A switch may take 2 s: a lease with less left is renewed alongside the issue of its successor.
		this.target.switchAllowance(Duration.ofSeconds(2));
		this.lifecycle = newLifecycle(this.client);
		this.lifecycle.start();
		// v-1 -> v-2: v-1's revocation starts and Vault does not answer it.
		this.lifecycle.rotateNow(RotationReason.FORCED);
		assertThat(this.client.revocationStarted.await(FAIL_AFTER_SECONDS, TimeUnit.SECONDS)).isTrue();
		// Half a second left of v-2 when its own rotation starts: it must be renewed meanwhile.
		this.clock.advance(TTL.minusMillis(500));
		this.lifecycle.rotateNow(RotationReason.FORCED);
		assertThat(this.client.thirdIssueDone.await(FAIL_AFTER_SECONDS * 2, TimeUnit.SECONDS)).isTrue();
		assertThat(this.client.renewedDuringIssue.get())
			.as("v-2 renewed while its successor was issued and v-1's revocation waited for Vault; calls: %s",
					this.log)
			.isTrue();
		assertThat(this.client.revocationEnded.get()).isFalse();
	}

	@Test
	void aNewLeaseIsKeptAliveWhileARenewalOfTheLeaseItReplacesWaitsForVault() throws Exception {
		SlowRenewalClient client = new SlowRenewalClient();
		this.target.switchAllowance(Duration.ofSeconds(2));
		// v-2's first connections open until v-2 has been renewed (or the test gives up).
		AtomicBoolean renewedDuringValidation = new AtomicBoolean();
		this.target.duringValidation(() -> {
			if (client.issued.get() == 2) {
				try {
					renewedDuringValidation.set(client.secondRenewed.await(FAIL_AFTER_SECONDS, TimeUnit.SECONDS));
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
		});
		this.lifecycle = newLifecycle(client);
		this.lifecycle.start();
		// Half a second left of v-1 when its rotation starts: it is renewed alongside the issue, and
		// Vault does not answer that renewal.
		this.clock.advance(TTL.minusMillis(500));
		this.lifecycle.rotateNow(RotationReason.FORCED);
		assertThat(client.firstRenewalStarted.await(FAIL_AFTER_SECONDS, TimeUnit.SECONDS)).isTrue();
		assertThat(client.switched.await(FAIL_AFTER_SECONDS * 2, TimeUnit.SECONDS)).isTrue();
		assertThat(renewedDuringValidation.get())
			.as("v-2 renewed while its connections opened and v-1's renewal waited for Vault; calls: %s", this.log)
			.isTrue();
	}

	private LeaseLifecycle newLifecycle(DatabaseSecretsClient client) {
		return new LeaseLifecycle("dataSource", "app", client, this.target,
				LeaseLifecycle.Strands.of(this.executor, "dataSource"), this.clock,
				new LeasePolicy(0.5, 0, 0.4, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(30),
						new SplittableRandom(7)),
				(event) -> {
				}, () -> false);
	}

	/**
	 * Issues {@code v-1} for {@link #TTL} and {@code v-2} for 2 s (so that it is renewed a second
	 * into its validation); a renewal of {@code v-1} waits until the test ends.
	 */
	private final class SlowRenewalClient implements DatabaseSecretsClient {

		private final AtomicInteger issued = new AtomicInteger();

		private final CountDownLatch firstRenewalStarted = new CountDownLatch(1);

		private final CountDownLatch secondRenewed = new CountDownLatch(1);

		private final CountDownLatch switched = new CountDownLatch(1);

		@Override
		public String credentialsPath() {
			return "database/creds/app";
		}

		@Override
		public CredentialLease issue() {
			int number = this.issued.incrementAndGet();
			LeaseLifecycleThreadsTests.this.log.add("issue v-" + number);
			return CredentialLease.issued(new DatabaseCredentials("v-" + number, "password-" + number),
					"database/creds/app/lease-" + number, true, LeaseLifecycleThreadsTests.this.clock.instant(),
					(number == 1) ? TTL : Duration.ofSeconds(2));
		}

		@Override
		public LeaseRenewal renew(CredentialLease lease, Duration increment) {
			LeaseLifecycleThreadsTests.this.log.add("renew " + lease.username());
			if (lease.username().equals("v-1")) {
				this.firstRenewalStarted.countDown();
				try {
					LeaseLifecycleThreadsTests.this.client.revocationsMayEnd.await(FAIL_AFTER_SECONDS * 3,
							TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
			else if (lease.username().equals("v-2")) {
				this.secondRenewed.countDown();
			}
			return new LeaseRenewal(increment, true, false);
		}

		@Override
		public void revoke(CredentialLease lease) {
			LeaseLifecycleThreadsTests.this.log.add("revoke " + lease.username());
			if (lease.username().equals("v-1")) {
				this.switched.countDown();
			}
		}

	}

	/**
	 * Issues {@code v-1}, {@code v-2}, …; the revocation of {@code v-1} waits until the test lets it
	 * end, and the third issue waits (at most {@link #FAIL_AFTER_SECONDS}) for a renewal of
	 * {@code v-2}.
	 */
	private final class SlowRevocationClient implements DatabaseSecretsClient {

		private final AtomicInteger issued = new AtomicInteger();

		private final CountDownLatch revocationStarted = new CountDownLatch(1);

		private final CountDownLatch revocationsMayEnd = new CountDownLatch(1);

		private final AtomicBoolean revocationEnded = new AtomicBoolean();

		private final CountDownLatch secondRenewed = new CountDownLatch(1);

		private final AtomicBoolean renewedDuringIssue = new AtomicBoolean();

		private final CountDownLatch thirdIssueDone = new CountDownLatch(1);

		@Override
		public String credentialsPath() {
			return "database/creds/app";
		}

		@Override
		public CredentialLease issue() {
			int number = this.issued.incrementAndGet();
			LeaseLifecycleThreadsTests.this.log.add("issue v-" + number);
			if (number == 3) {
				try {
					this.renewedDuringIssue.set(this.secondRenewed.await(FAIL_AFTER_SECONDS, TimeUnit.SECONDS));
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				finally {
					this.thirdIssueDone.countDown();
				}
			}
			return CredentialLease.issued(new DatabaseCredentials("v-" + number, "password-" + number),
					"database/creds/app/lease-" + number, true, LeaseLifecycleThreadsTests.this.clock.instant(), TTL);
		}

		@Override
		public LeaseRenewal renew(CredentialLease lease, Duration increment) {
			LeaseLifecycleThreadsTests.this.log.add("renew " + lease.username());
			if (lease.username().equals("v-2")) {
				this.secondRenewed.countDown();
			}
			return new LeaseRenewal(increment, true, false);
		}

		@Override
		public void revoke(CredentialLease lease) {
			LeaseLifecycleThreadsTests.this.log.add("revoke " + lease.username());
			if (lease.username().equals("v-1")) {
				this.revocationStarted.countDown();
				try {
					this.revocationsMayEnd.await(FAIL_AFTER_SECONDS * 3, TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				this.revocationEnded.set(true);
			}
		}

	}

}
