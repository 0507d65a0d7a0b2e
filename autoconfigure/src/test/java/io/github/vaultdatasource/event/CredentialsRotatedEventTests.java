package io.github.vaultdatasource.event;

import java.time.Duration;
import java.time.Instant;

import io.github.vaultdatasource.RotationReason;
import io.github.vaultdatasource.event.CredentialsRotatedEvent.Timings;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link CredentialsRotatedEvent}.
 */
class CredentialsRotatedEventTests {

	private static final Timings TIMINGS = new Timings(Duration.ofMillis(40), Duration.ofMillis(300),
			Duration.ofMillis(250), Duration.ofMillis(100), Duration.ofMillis(4200), Duration.ofMillis(30));

	@Test
	void theTotalIsWhatTheRotationCostWithoutTheWaitBeforeTheRevocation() {
		assertThat(TIMINGS.total()).isEqualTo(Duration.ofMillis(40 + 300 + 250 + 100 + 30));
	}

	@Test
	void theEventReportsEachStepAndTheWaitApart() {
		CredentialsRotatedEvent event = new CredentialsRotatedEvent(this, "dataSource", "v-2", "…AbCd",
				Instant.parse("2025-01-01T10:00:00Z"), "v-1", RotationReason.FORCED, TIMINGS, 0, true);
		assertThat(event.getIssueDuration()).isEqualTo(Duration.ofMillis(40));
		assertThat(event.getSwitchDuration()).isEqualTo(Duration.ofMillis(250));
		assertThat(event.getDrainDuration()).isEqualTo(Duration.ofMillis(100));
		assertThat(event.getRevokeWait()).isEqualTo(Duration.ofMillis(4200));
		assertThat(event.getRevokeDuration()).isEqualTo(Duration.ofMillis(30));
		assertThat(event.getTotalDuration()).isEqualTo(Duration.ofMillis(720));
	}

}
