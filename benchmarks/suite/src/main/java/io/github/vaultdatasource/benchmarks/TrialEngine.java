package io.github.vaultdatasource.benchmarks;

import java.time.Clock;
import java.util.SplittableRandom;

import io.github.vaultdatasource.autoconfigure.VaultDataSourceProperties;
import io.github.vaultdatasource.benchmarks.trial.TrialLeaseLifecycle;
import io.github.vaultdatasource.benchmarks.trial.TrialLeasePolicy;
import io.github.vaultdatasource.benchmarks.trial.TrialLeasePolicy.Changes;
import io.github.vaultdatasource.lease.CredentialsTarget;
import io.github.vaultdatasource.lease.LeaseLifecycle.Strands;
import io.github.vaultdatasource.vault.DatabaseSecretsClient;

import org.jspecify.annotations.Nullable;

import org.springframework.context.ApplicationEventPublisher;

/**
 * The fleet's instances on the trial copy of the engine (package {@code trial}): the library's
 * lifecycle and policy with the changes proposed for the fleet targets, the defaults of
 * {@code vault.lease.*} otherwise.
 *
 * @param name what the table calls it
 * @param changes which changes
 * @param jitter {@code vault.lease.jitter} of every instance instead of the simulation's, or
 * {@code null}
 */
record TrialEngine(String name, Changes changes, @Nullable Double jitter) implements FleetSimulation.Engine {

	@Override
	public Runnable instance(String name, DatabaseSecretsClient vault, CredentialsTarget pool, Strands strands,
			Clock clock, double jitter, SplittableRandom random, ApplicationEventPublisher events) {
		VaultDataSourceProperties.Lease defaults = new VaultDataSourceProperties().getLease();
		double spread = (this.jitter != null) ? this.jitter : jitter;
		TrialLeasePolicy policy = new TrialLeasePolicy(defaults.getRenewAt(), spread, defaults.getDrainShare(),
				defaults.getMinDrainBudget(), defaults.getRetryInitialDelay(), defaults.getRetryMaxDelay(), random,
				this.changes);
		TrialLeaseLifecycle.Strands trialStrands = new TrialLeaseLifecycle.Strands(strands.main(), strands.drain(),
				strands.calls());
		TrialLeaseLifecycle lifecycle = new TrialLeaseLifecycle(name, "fleet", vault, pool, trialStrands, clock,
				policy, events, () -> false);
		return lifecycle::start;
	}

	@Override
	public String toString() {
		String retry = switch (this.changes.retry()) {
			case LIBRARY -> "library retries";
			case SPREAD -> "retries spread over half to all of the backoff, no 1 s pace when urgent";
			case FULL -> "retries spread over none to all of the backoff, no 1 s pace when urgent";
			case SHARE -> "retries after half to all of 1/" + this.changes.share() + " of the remaining validity";
		};
		int spread = this.changes.spreadRotations();
		String phases = switch (spread) {
			case 0 -> "library phases";
			case 1 -> "first rotation at a random phase";
			default -> "first " + spread + " rotations at random phases";
		};
		if (spread > 0) {
			phases += this.changes.wideSpread() ? " anywhere before the lead time"
					: " after the lease's first quarter";
		}
		return "trial copy: " + phases + ", " + retry + ((this.jitter != null) ? ", jitter " + this.jitter : "");
	}

}
