package io.github.vaultdatasource.lease;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

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

	private GatedClient client;

	private LeaseLifecycle lifecycle;

	@AfterEach
	void stop() {
		if (this.client != null) {
			this.client.vaultAnswers.countDown();
		}
		if (this.lifecycle != null) {
			this.lifecycle.stop(() -> {
			}, false, Duration.ofSeconds(FAIL_AFTER_SECONDS));
		}
		this.executor.close();
	}

	@Test
	void aRenewalKeepingTheLeaseAliveThroughARotationDoesNotWaitForASlowRevocation() throws Exception {
		// Vault does not answer v-1's revocation; the third issue waits for a renewal of v-2.
		this.client = new GatedClient("revoke v-1", (number) -> TTL);
		AtomicBoolean renewedDuringIssue = this.client.whileCalled("issue v-3", "renew v-2");
		// A switch may take 2 s: a lease with less left is renewed alongside the issue of its successor.
		this.target.switchAllowance(Duration.ofSeconds(2));
		this.lifecycle = newLifecycle();
		this.lifecycle.start();
		// v-1 -> v-2: v-1's revocation starts and Vault does not answer it.
		this.lifecycle.rotateNow(RotationReason.FORCED);
		assertThat(this.client.awaitCall("revoke v-1")).isTrue();
		// Half a second left of v-2 when its own rotation starts: it must be renewed meanwhile.
		this.clock.advance(TTL.minusMillis(500));
		this.lifecycle.rotateNow(RotationReason.FORCED);
		assertThat(this.client.awaitCall("switch v-3 <- v-2")).isTrue();
		assertThat(renewedDuringIssue.get())
			.as("v-2 renewed while its successor was issued and v-1's revocation waited for Vault; calls: %s",
					this.log)
			.isTrue();
		assertThat(this.client.unansweredEnded.get()).isFalse();
	}

	@Test
	void aNewLeaseIsKeptAliveWhileARenewalOfTheLeaseItReplacesWaitsForVault() throws Exception {
		// Vault does not answer v-1's renewal; v-2 is issued for 2 s, so it is renewed a second into its
		// validation.
		this.client = new GatedClient("renew v-1", (number) -> (number == 1) ? TTL : Duration.ofSeconds(2));
		// v-2's first connections open until v-2 has been renewed (or the test gives up).
		AtomicBoolean renewedDuringValidation = this.client.whileCalled("validate v-2", "renew v-2");
		this.target.switchAllowance(Duration.ofSeconds(2));
		this.lifecycle = newLifecycle();
		this.lifecycle.start();
		// Half a second left of v-1 when its rotation starts: it is renewed alongside the issue, and
		// Vault does not answer that renewal.
		this.clock.advance(TTL.minusMillis(500));
		this.lifecycle.rotateNow(RotationReason.FORCED);
		assertThat(this.client.awaitCall("renew v-1")).isTrue();
		assertThat(this.client.awaitCall("switch v-2 <- v-1")).isTrue();
		assertThat(renewedDuringValidation.get())
			.as("v-2 renewed while its connections opened and v-1's renewal waited for Vault; calls: %s", this.log)
			.isTrue();
	}

	private LeaseLifecycle newLifecycle() {
		return new LeaseLifecycle("dataSource", "app", this.client, this.target,
				LeaseLifecycle.Strands.of(this.executor, "dataSource"), this.clock,
				new LeasePolicy(0.5, 0, 0.4, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(30),
						new SplittableRandom(7)),
				(event) -> {
				}, () -> false);
	}

	/**
	 * Issues {@code v-1}, {@code v-2}, … and records every call ("issue v-1", "renew v-2",
	 * "revoke v-1", and the target's "validate v-2" and "switch v-2 <- v-1"), each of which a test can
	 * await. One call is left unanswered by Vault until the test ends.
	 */
	private final class GatedClient implements DatabaseSecretsClient {

		private final AtomicInteger issued = new AtomicInteger();

		private final Map<String, CountDownLatch> calls = new ConcurrentHashMap<>();

		private final Map<String, Runnable> during = new ConcurrentHashMap<>();

		private final CountDownLatch vaultAnswers = new CountDownLatch(1);

		private final AtomicBoolean unansweredEnded = new AtomicBoolean();

		private final String unanswered;

		private final IntFunction<Duration> ttl;

		GatedClient(String unanswered, IntFunction<Duration> ttl) {
			this.unanswered = unanswered;
			this.ttl = ttl;
			// The target logs its own steps; each follows the issue of the user it is about.
			LeaseLifecycleThreadsTests.this.target
				.duringValidation(() -> called("validate v-" + this.issued.get()));
			LeaseLifecycleThreadsTests.this.target
				.duringSwitch(() -> called("switch v-" + this.issued.get() + " <- v-" + (this.issued.get() - 1)));
		}

		/**
		 * While {@code call} is made, wait (at most {@link #FAIL_AFTER_SECONDS}) for {@code awaited}.
		 * @return whether {@code awaited} came meanwhile, set once {@code call} is done
		 */
		AtomicBoolean whileCalled(String call, String awaited) {
			AtomicBoolean came = new AtomicBoolean();
			this.during.put(call, () -> came.set(awaitCall(awaited)));
			return came;
		}

		boolean awaitCall(String call) {
			try {
				return latch(call).await(FAIL_AFTER_SECONDS * 2, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return false;
			}
		}

		private CountDownLatch latch(String call) {
			return this.calls.computeIfAbsent(call, (key) -> new CountDownLatch(1));
		}

		private void call(String call) {
			LeaseLifecycleThreadsTests.this.log.add(call);
			called(call);
		}

		private void called(String call) {
			latch(call).countDown();
			Runnable action = this.during.remove(call);
			if (action != null) {
				action.run();
			}
			if (call.equals(this.unanswered)) {
				try {
					this.vaultAnswers.await(FAIL_AFTER_SECONDS * 3, TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				this.unansweredEnded.set(true);
			}
		}

		@Override
		public String credentialsPath() {
			return "database/creds/app";
		}

		@Override
		public CredentialLease issue() {
			int number = this.issued.incrementAndGet();
			call("issue v-" + number);
			return CredentialLease.issued(new DatabaseCredentials("v-" + number, "password-" + number),
					"database/creds/app/lease-" + number, true, LeaseLifecycleThreadsTests.this.clock.instant(),
					this.ttl.apply(number));
		}

		@Override
		public LeaseRenewal renew(CredentialLease lease, Duration increment) {
			call("renew " + lease.username());
			return new LeaseRenewal(increment, true, false);
		}

		@Override
		public void revoke(CredentialLease lease) {
			call("revoke " + lease.username());
		}

	}

}
