package io.github.vaultdatasource.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.github.vaultdatasource.event.VaultDataSourceEvent;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.RotationReason;
import io.github.vaultdatasource.lease.SimulatedLease;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link VaultLeaseMetrics}, driven by a simulated lease of 60 s whose renewal is due at
 * 30 s.
 */
class VaultLeaseMetricsTests {

	private final ManagedLeases leases = new ManagedLeases();

	private final VaultLeaseMetrics metrics = new VaultLeaseMetrics(this.leases,
			() -> Optional.of(Duration.ofMinutes(20)));

	private final MeterRegistry registry = new SimpleMeterRegistry();

	private SimulatedLease lease;

	@BeforeEach
	void startLease() {
		// The first credentials are issued while the DataSource bean is created, before metrics are bound.
		this.lease = new SimulatedLease("dataSource", Duration.ofSeconds(60),
				(event) -> this.metrics.onApplicationEvent((VaultDataSourceEvent) event));
		this.leases.register(this.lease.lifecycle());
		this.metrics.bindTo(this.registry);
	}

	@Test
	void recordsTheFirstIssueThatHappenedBeforeBinding() {
		assertThat(this.registry.get("vault.datasource.credentials.issue").tag("datasource", "dataSource").timer()
			.count()).isEqualTo(1);
	}

	@Test
	void gaugesTimeLeftOnLeaseAndToken() {
		this.lease.advance(Duration.ofSeconds(20));
		assertThat(this.registry.get("vault.datasource.lease.remaining").tag("datasource", "dataSource").timeGauge()
			.value(TimeUnit.SECONDS)).isEqualTo(40.0);
		assertThat(this.registry.get("vault.datasource.token.remaining").timeGauge().value(TimeUnit.SECONDS))
			.isEqualTo(1200.0);
	}

	@Test
	void countsRenewalsByOutcome() {
		this.lease.advance(Duration.ofSeconds(31));
		assertThat(counter("vault.datasource.lease.renewals", "outcome", "success")).isEqualTo(1);
		this.lease.vaultDown();
		this.lease.advance(Duration.ofMillis(29_500));
		assertThat(counter("vault.datasource.lease.renewals", "outcome", "failure")).isEqualTo(1);
		assertThat(counter("vault.datasource.lease.failures", "kind", "renewal")).isEqualTo(1);
		assertThat(this.registry.get("vault.datasource.lease.consecutive.failures").gauge().value()).isEqualTo(1);
	}

	@Test
	void countsRotationsByOutcomeAndReasonAndTimesThem() {
		this.lease.lifecycle().rotateNow(RotationReason.FORCED);
		this.lease.runDue();
		assertThat(this.registry.get("vault.datasource.lease.rotations")
			.tags("outcome", "success", "reason", "forced")
			.counter()
			.count()).isEqualTo(1);
		assertThat(this.registry.get("vault.datasource.rotation.duration").tag("reason", "forced").timer().count())
			.isEqualTo(1);
		assertThat(counter("vault.datasource.lease.revocations", "trigger", "rotation")).isEqualTo(1);
		assertThat(this.registry.get("vault.datasource.credentials.issue").timer().count()).isEqualTo(2);
	}

	@Test
	void countsFailedRotationsWithTheirReason() {
		this.lease.vaultDown();
		this.lease.lifecycle().rotateNow(RotationReason.FORCED);
		this.lease.runDue();
		assertThat(this.registry.get("vault.datasource.lease.rotations")
			.tags("outcome", "failure", "reason", "forced")
			.counter()
			.count()).isEqualTo(1);
		assertThat(counter("vault.datasource.lease.failures", "kind", "issue")).isEqualTo(1);
	}

	@Test
	void countsRevocationAtShutdown() {
		this.lease.stop();
		assertThat(counter("vault.datasource.lease.revocations", "trigger", "shutdown")).isEqualTo(1);
	}

	@Test
	void everyMeterIsDescribedWithABaseUnitAndBoundedTags() {
		this.lease.advance(Duration.ofSeconds(31));
		this.lease.lifecycle().rotateNow(RotationReason.FORCED);
		this.lease.runDue();
		this.lease.vaultDown();
		this.lease.advance(Duration.ofSeconds(40));
		this.lease.stop();
		List<Meter> meters = this.registry.getMeters();
		assertThat(meters).hasSizeGreaterThanOrEqualTo(9);
		assertThat(meters).allSatisfy((meter) -> {
			assertThat(meter.getId().getName()).startsWith("vault.datasource.");
			assertThat(meter.getId().getDescription()).isNotBlank();
			assertThat(meter.getId().getBaseUnit()).isNotBlank();
			for (Tag tag : meter.getId().getTags()) {
				assertThat(tag.getKey()).isIn("datasource", "outcome", "reason", "kind", "trigger");
				assertThat(tag.getValue()).doesNotStartWith("v-");
				this.lease.secrets().forEach((secret) -> assertThat(tag.getValue()).doesNotContain(secret));
			}
		});
	}

	@Test
	void operationsGuideDocumentsEveryMeter() throws IOException {
		this.lease.lifecycle().rotateNow(RotationReason.FORCED);
		this.lease.runDue();
		this.lease.vaultDown();
		this.lease.advance(Duration.ofSeconds(40));
		this.lease.stop();
		Path dir = Path.of("").toAbsolutePath();
		while (!Files.exists(dir.resolve("docs/operations.md"))) {
			dir = dir.getParent();
		}
		String guide = Files.readString(dir.resolve("docs/operations.md"));
		assertThat(this.registry.getMeters()).extracting((meter) -> meter.getId().getName())
			.allSatisfy((name) -> assertThat(guide).contains("`" + name + "`"));
	}

	private double counter(String name, String key, String value) {
		return this.registry.get(name).tag(key, value).counter().count();
	}

}
