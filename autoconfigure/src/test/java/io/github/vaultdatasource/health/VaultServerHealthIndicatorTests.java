package io.github.vaultdatasource.health;

import java.net.URI;

import io.github.vaultdatasource.vault.VaultServerStatus;
import org.junit.jupiter.api.Test;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link VaultServerHealthIndicator}.
 */
class VaultServerHealthIndicatorTests {

	@Test
	void upWhenActive() {
		Health health = health(new VaultServerStatus(true, true, false, false, "2.7.2", null));
		assertThat(health.getStatus()).isEqualTo(Status.UP);
		assertThat(health.getDetails()).containsEntry("reachable", true)
			.containsEntry("initialized", true)
			.containsEntry("sealed", false)
			.containsEntry("standby", false)
			.containsEntry("version", "2.7.2");
	}

	@Test
	void upWhenStandbySinceItForwardsRequests() {
		Health health = health(new VaultServerStatus(true, true, false, true, "2.7.2", null));
		assertThat(health.getStatus()).isEqualTo(Status.UP);
		assertThat(health.getDetails()).containsEntry("standby", true);
	}

	@Test
	void namesTheNodeThatAnswered() {
		Health health = health(new VaultServerStatus(true, true, false, true, "2.7.2", null,
				URI.create("https://vault-1.example.com:8200")));
		assertThat(health.getDetails()).containsEntry("node", "https://vault-1.example.com:8200");
	}

	@Test
	void unavailableWhenSealed() {
		assertThat(health(new VaultServerStatus(true, true, true, false, null, null)).getStatus())
			.isEqualTo(VaultServerHealthIndicator.UNAVAILABLE);
	}

	@Test
	void unavailableWhenUninitialized() {
		assertThat(health(new VaultServerStatus(true, false, true, false, null, null)).getStatus())
			.isEqualTo(VaultServerHealthIndicator.UNAVAILABLE);
	}

	@Test
	void unavailableWithTheReasonWhenUnreachable() {
		Health health = health(VaultServerStatus.unreachable("Vault could not be reached: Connection refused"));
		assertThat(health.getStatus()).isEqualTo(VaultServerHealthIndicator.UNAVAILABLE);
		assertThat(health.getDetails()).containsEntry("reachable", false)
			.containsEntry("error", "Vault could not be reached: Connection refused")
			.doesNotContainKey("sealed");
	}

	private static Health health(VaultServerStatus status) {
		return new VaultServerHealthIndicator(() -> status).health();
	}

}
