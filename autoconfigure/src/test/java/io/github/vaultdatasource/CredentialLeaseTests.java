package io.github.vaultdatasource;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

/**
 * Tests for {@link CredentialLease} and {@link DatabaseCredentials}.
 */
class CredentialLeaseTests {

	private static final String PASSWORD = "A1a-Zq9x7Rv2Kp4m";

	private static final String LEASE_ID = "database/creds/app/Xq7Rz2Kp9Lm4Nb8Vc3Wd";

	private static final Instant ISSUED_AT = Instant.parse("2025-01-01T10:00:00Z");

	private final DatabaseCredentials credentials = new DatabaseCredentials("v-app-1", PASSWORD);

	@Test
	void credentialsToStringShowsUsernameButNeverPassword() {
		assertThat(this.credentials.toString()).contains("v-app-1").doesNotContain(PASSWORD);
	}

	@Test
	void credentialsRejectMissingParts() {
		assertThatNullPointerException().isThrownBy(() -> new DatabaseCredentials(null, PASSWORD))
			.withMessageContaining("username");
		assertThatNullPointerException().isThrownBy(() -> new DatabaseCredentials("v-app-1", null))
			.withMessageContaining("password");
	}

	@Test
	void leaseToStringShowsUsernameAndShortLeaseIdButNeverPasswordOrFullLeaseId() {
		CredentialLease lease = CredentialLease.issued(this.credentials, LEASE_ID, true, ISSUED_AT,
				Duration.ofMinutes(1));
		assertThat(lease.toString()).contains("v-app-1")
			.contains("database/creds/app/…c3Wd")
			.doesNotContain(PASSWORD)
			.doesNotContain(LEASE_ID)
			.doesNotContain("Xq7Rz2Kp9Lm4Nb8Vc3Wd");
	}

	@Test
	void shortenKeepsPathAndLastFourCharacters() {
		assertThat(CredentialLease.shorten("database/creds/app/AbCdEfGh1234")).isEqualTo("database/creds/app/…1234");
	}

	@Test
	void shortenWithoutPathKeepsLastFourCharacters() {
		assertThat(CredentialLease.shorten("AbCdEfGh1234")).isEqualTo("…1234");
	}

	@Test
	void shortenNeverRevealsShortRandomPart() {
		assertThat(CredentialLease.shorten("database/creds/app/1234")).isEqualTo("database/creds/app/…");
	}

	@Test
	void shortLeaseIdIsShortenedLeaseId() {
		CredentialLease lease = CredentialLease.issued(this.credentials, LEASE_ID, true, ISSUED_AT,
				Duration.ofMinutes(1));
		assertThat(lease.shortLeaseId()).isEqualTo("database/creds/app/…c3Wd");
	}

	@Test
	void issuedExpiresAfterTtl() {
		CredentialLease lease = CredentialLease.issued(this.credentials, LEASE_ID, true, ISSUED_AT,
				Duration.ofMinutes(1));
		assertThat(lease.expiresAt()).isEqualTo(ISSUED_AT.plusSeconds(60));
		assertThat(lease.username()).isEqualTo("v-app-1");
	}

	@Test
	void renewedKeepsIssuedAtAndCredentialsAndMovesExpiry() {
		CredentialLease lease = CredentialLease.issued(this.credentials, LEASE_ID, true, ISSUED_AT,
				Duration.ofMinutes(1));
		Instant renewedAt = ISSUED_AT.plusSeconds(30);
		CredentialLease renewed = lease.renewed(renewedAt, Duration.ofSeconds(45), false);
		assertThat(renewed.issuedAt()).isEqualTo(ISSUED_AT);
		assertThat(renewed.credentials()).isEqualTo(this.credentials);
		assertThat(renewed.leaseId()).isEqualTo(LEASE_ID);
		assertThat(renewed.expiresAt()).isEqualTo(renewedAt.plusSeconds(45));
		assertThat(renewed.ttl()).isEqualTo(Duration.ofSeconds(45));
		assertThat(renewed.renewable()).isFalse();
		assertThat(lease.expiresAt()).isEqualTo(ISSUED_AT.plusSeconds(60));
	}

	@Test
	void remainingIsNegativeOnceExpired() {
		CredentialLease lease = CredentialLease.issued(this.credentials, LEASE_ID, true, ISSUED_AT,
				Duration.ofMinutes(1));
		assertThat(lease.remaining(ISSUED_AT.plusSeconds(20))).isEqualTo(Duration.ofSeconds(40));
		assertThat(lease.remaining(ISSUED_AT.plusSeconds(70))).isEqualTo(Duration.ofSeconds(-10));
	}

}
