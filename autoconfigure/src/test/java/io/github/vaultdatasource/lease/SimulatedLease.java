package io.github.vaultdatasource.lease;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.vault.VaultRequestException.Failure;

import org.springframework.context.ApplicationEventPublisher;

/**
 * A {@link LeaseLifecycle} on a fake Vault, a manual scheduler and a clock the test moves, for
 * tests of the parts that observe leases (health, metrics, the endpoint).
 */
public final class SimulatedLease {

	/**
	 * When the simulation starts.
	 */
	public static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

	private final MutableClock clock = new MutableClock(T0);

	private final ManualScheduler scheduler = new ManualScheduler(this.clock);

	private final List<String> log = new ArrayList<>();

	private final FakeDatabaseSecretsClient client = new FakeDatabaseSecretsClient(this.clock, this.log);

	private final LeaseLifecycle lifecycle;

	/**
	 * Create and start a lease.
	 * @param name the data source name
	 * @param ttl the lease's ttl
	 * @param events where the lifecycle publishes its events
	 */
	public SimulatedLease(String name, Duration ttl, ApplicationEventPublisher events) {
		this.client.ttl(ttl);
		LeasePolicy policy = new LeasePolicy(0.5, 0, 0.4, Duration.ofSeconds(1), Duration.ofSeconds(1),
				Duration.ofSeconds(30), new SplittableRandom(7));
		this.lifecycle = new LeaseLifecycle(name, "app", this.client, new RecordingCredentialsTarget(this.log),
				new LeaseLifecycle.Strands(this.scheduler.lane("main"), this.scheduler.lane("drain"),
						this.scheduler.lane("calls"), this.scheduler.lane("revocations"),
						this.scheduler.lane("new-lease")), this.clock, policy, events, () -> false);
		this.lifecycle.start();
		this.scheduler.runDue();
	}

	public LeaseLifecycle lifecycle() {
		return this.lifecycle;
	}

	/**
	 * Move time on, running whatever the lifecycle scheduled.
	 * @param duration how far
	 */
	public void advance(Duration duration) {
		this.scheduler.advance(duration);
	}

	/**
	 * Run what is due now (say, a forced rotation).
	 */
	public void runDue() {
		this.scheduler.runDue();
	}

	/**
	 * Make Vault unreachable for every request from now on.
	 */
	public void vaultDown() {
		this.client.failRenewalAlways(Failure.UNAVAILABLE);
		this.client.failIssueAlways(Failure.UNAVAILABLE);
	}

	/**
	 * Return the simulation's current instant.
	 * @return the instant
	 */
	public Instant now() {
		return this.clock.instant();
	}

	/**
	 * Make Vault refuse the next revocation.
	 */
	public void failRevocation() {
		this.client.failRevocation(Failure.UNAVAILABLE);
	}

	/**
	 * Make Vault forget the current lease, as {@code bao lease revoke} would.
	 */
	public void revokeCurrentLease() {
		this.client.revokeBehindOurBack(this.lifecycle.currentLease());
	}

	/**
	 * Return every secret the fake Vault handed out: passwords and full lease ids.
	 * @return the secrets
	 */
	public List<String> secrets() {
		List<String> secrets = new ArrayList<>();
		for (CredentialLease lease : this.client.issued()) {
			secrets.add(lease.credentials().password());
			secrets.add(lease.leaseId());
		}
		return secrets;
	}

	/**
	 * Stop the lifecycle, revoking the lease.
	 */
	public void stop() {
		this.lifecycle.stop(() -> {
		}, true, Duration.ofSeconds(1));
	}

}
