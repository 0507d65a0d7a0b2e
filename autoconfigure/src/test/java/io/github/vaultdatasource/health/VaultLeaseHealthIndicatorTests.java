package io.github.vaultdatasource.health;

import java.time.Duration;

import io.github.vaultdatasource.lease.LeaseStatus.State;
import io.github.vaultdatasource.lease.SimulatedLease;
import org.junit.jupiter.api.Test;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link VaultLeaseHealthIndicator}, driven by a simulated lease of 60 s whose renewal
 * is due at 30 s.
 */
class VaultLeaseHealthIndicatorTests {

	private final SimulatedLease lease = new SimulatedLease("dataSource", Duration.ofSeconds(60), (event) -> {
	});

	private final VaultLeaseHealthIndicator indicator = new VaultLeaseHealthIndicator(this.lease.lifecycle()::status,
			Duration.ofSeconds(10));

	@Test
	void upWithTheLeaseFactsWhileCredentialsAreValid() {
		this.lease.advance(Duration.ofSeconds(31));
		Health health = this.indicator.health();
		assertThat(health.getStatus()).isEqualTo(Status.UP);
		assertThat(health.getDetails()).containsEntry("role", "app")
			.containsEntry("state", "ACTIVE")
			.containsEntry("username", "v-1")
			.containsEntry("renewable", true)
			.containsEntry("consecutiveFailures", 0)
			.containsEntry("nextAction", "RENEW")
			.containsKeys("leaseId", "expiresAt", "timeToExpiry", "lastRenewal", "nextActionAt")
			.doesNotContainKey("lastFailure");
		assertThat(health.getDetails().get("timeToExpiry")).isEqualTo("PT59S");
	}

	@Test
	void staysUpWhileRenewalFailsFarFromExpiry() {
		this.lease.vaultDown();
		this.lease.advance(Duration.ofSeconds(30));
		Health health = this.indicator.health();
		assertThat(this.lease.lifecycle().status().state()).isEqualTo(State.FAILING);
		assertThat(health.getStatus()).isEqualTo(Status.UP);
		assertThat(health.getDetails()).containsEntry("consecutiveFailures", 1)
			.hasEntrySatisfying("lastFailure", (failure) -> assertThat(failure.toString()).startsWith("RENEWAL"));
	}

	@Test
	void outOfServiceWhenFailuresContinueNearExpiry() {
		this.lease.vaultDown();
		this.lease.advance(Duration.ofSeconds(51));
		Health health = this.indicator.health();
		assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
		assertThat((int) health.getDetails().get("consecutiveFailures")).isGreaterThan(1);
	}

	@Test
	void aThresholdLongerThanTheLeaseCountsAsAThirdOfItsTtl() {
		VaultLeaseHealthIndicator longThreshold = new VaultLeaseHealthIndicator(this.lease.lifecycle()::status,
				Duration.ofMinutes(5));
		this.lease.vaultDown();
		// 21 s left of a 60 s lease: a renewal failed, but a third of the TTL (20 s) is still ahead.
		this.lease.advance(Duration.ofSeconds(39));
		assertThat(longThreshold.health().getStatus()).isEqualTo(Status.UP);
		this.lease.advance(Duration.ofSeconds(2));
		assertThat(longThreshold.health().getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
	}

	@Test
	void downOnceCredentialsExpired() {
		this.lease.vaultDown();
		this.lease.advance(Duration.ofSeconds(61));
		assertThat(this.lease.lifecycle().status().state()).isEqualTo(State.EXPIRED);
		assertThat(this.indicator.health().getStatus()).isEqualTo(Status.DOWN);
	}

	@Test
	void downWhenVaultRevokedTheLeaseAndNoNewOneCanBeIssued() {
		this.lease.revokeCurrentLease();
		this.lease.vaultDown();
		this.lease.advance(Duration.ofSeconds(31));
		assertThat(this.lease.lifecycle().status().state()).isEqualTo(State.REVOKED);
		assertThat(this.indicator.health().getStatus()).isEqualTo(Status.DOWN);
	}

	@Test
	void outOfServiceOnceStopped() {
		this.lease.stop();
		assertThat(this.indicator.health().getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
	}

	@Test
	void detailsHoldNoSecret() {
		this.lease.vaultDown();
		this.lease.advance(Duration.ofSeconds(40));
		String details = this.indicator.health().getDetails().toString();
		assertThat(this.lease.secrets()).isNotEmpty().allSatisfy((secret) -> assertThat(details).doesNotContain(secret));
	}

}
