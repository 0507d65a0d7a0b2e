package io.github.vaultdatasource.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.RotationReason;
import io.github.vaultdatasource.lease.SimulatedLease;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link VaultLeaseMetrics}, driven by a simulated lease of 60 s whose renewal is due at
 * 30 s.
 */
class VaultLeaseMetricsTests {

	private final ManagedLeases leases = new ManagedLeases();

	private SimulatedLease lease;

	private final VaultLeaseMetrics metrics = new VaultLeaseMetrics(this.leases,
			() -> Optional.of(Duration.ofMinutes(20)), () -> this.lease.now());

	private final MeterRegistry registry = new SimpleMeterRegistry();

	@BeforeEach
	void startLease() {
		// The first credentials are issued while the DataSource bean is created, before metrics are bound.
		this.lease = new SimulatedLease("dataSource", Duration.ofSeconds(60), (event) -> {
		});
		this.leases.register(this.lease.lifecycle());
		this.metrics.bindTo(this.registry);
	}

	@Test
	void countsTheFirstIssueThatHappenedBeforeBinding() {
		assertThat(this.registry.get("vault.datasource.credentials.issue")
			.tag("datasource", "dataSource")
			.functionTimer()
			.count()).isEqualTo(1);
		assertThat(this.registry.get("vault.datasource.credentials.issued").functionCounter().count()).isEqualTo(1);
	}

	@Test
	void bindsADataSourceThatComesUnderManagementAfterBinding() {
		SimulatedLease later = new SimulatedLease("reporting", Duration.ofSeconds(30), (event) -> {
		});
		this.leases.register(later.lifecycle());
		assertThat(this.registry.get("vault.datasource.lease.remaining").tag("datasource", "reporting").timeGauge()
			.value(TimeUnit.SECONDS)).isEqualTo(30.0);
		assertThat(this.registry.get("vault.datasource.credentials.issued").tag("datasource", "reporting")
			.functionCounter().count()).isEqualTo(1);
	}

	@Test
	void gaugesTheLeasesTtlStateAndKnownMaxTtl() {
		assertThat(this.registry.get("vault.datasource.lease.ttl").timeGauge().value(TimeUnit.SECONDS)).isEqualTo(60.0);
		assertThat(this.registry.get("vault.datasource.lease.max.ttl").timeGauge().value(TimeUnit.SECONDS)).isNaN();
		assertThat(this.registry.get("vault.datasource.lease.state").tag("state", "active").gauge().value())
			.isEqualTo(1.0);
		assertThat(this.registry.get("vault.datasource.lease.state").tag("state", "failing").gauge().value())
			.isEqualTo(0.0);
		assertThat(this.registry.find("vault.datasource.lease.state").gauges()).hasSize(7);
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
			.functionCounter()
			.count()).isEqualTo(1);
		assertThat(this.registry.get("vault.datasource.rotation.duration").functionTimer().count()).isEqualTo(1);
		assertThat(this.registry.get("vault.datasource.lease.revocations")
			.tags("trigger", "rotation", "outcome", "success")
			.functionCounter()
			.count()).isEqualTo(1);
		assertThat(this.registry.get("vault.datasource.credentials.issue").functionTimer().count()).isEqualTo(2);
	}

	@Test
	void countsFailedRotationsWithTheirReason() {
		this.lease.vaultDown();
		this.lease.lifecycle().rotateNow(RotationReason.FORCED);
		this.lease.runDue();
		assertThat(this.registry.get("vault.datasource.lease.rotations")
			.tags("outcome", "failure", "reason", "forced")
			.functionCounter()
			.count()).isEqualTo(1);
		assertThat(counter("vault.datasource.lease.failures", "kind", "issue")).isEqualTo(1);
	}

	@Test
	void countsRevocationAtShutdown() {
		this.lease.stop();
		assertThat(this.registry.get("vault.datasource.lease.revocations")
			.tags("trigger", "shutdown", "outcome", "success")
			.functionCounter()
			.count()).isEqualTo(1);
		assertThat(this.registry.get("vault.datasource.leases.unrevoked").gauge().value()).isZero();
	}

	// The metrics pushed to a Pushgateway at shutdown are read after the data source closed and left
	// ManagedLeases: they still carry its final state and the TTL of what it left behind.
	@Test
	void aClosedDataSourceKeepsItsFinalStatusInTheGauges() {
		this.lease.failRevocation();
		this.lease.stop();
		this.leases.remove("dataSource");
		assertThat(this.registry.get("vault.datasource.lease.state").tag("state", "stopped").gauge().value())
			.isEqualTo(1.0);
		assertThat(this.registry.get("vault.datasource.lease.ttl").timeGauge().value(TimeUnit.SECONDS)).isEqualTo(60.0);
		assertThat(this.registry.get("vault.datasource.leases.unrevoked").gauge().value()).isEqualTo(1);
	}

	@Test
	void countsAFailedRevocationAndTheLeaseLeftUnrevoked() {
		this.lease.failRevocation();
		this.lease.stop();
		assertThat(this.registry.get("vault.datasource.lease.revocations")
			.tags("trigger", "shutdown", "outcome", "failure")
			.functionCounter()
			.count()).isEqualTo(1);
		assertThat(this.registry.get("vault.datasource.leases.unrevoked").gauge().value()).isEqualTo(1);
		this.lease.advance(Duration.ofSeconds(61));
		assertThat(this.registry.get("vault.datasource.leases.unrevoked").gauge().value()).isZero();
	}

	@Test
	void everyMeterIsDescribedWithBoundedTags() {
		this.lease.advance(Duration.ofSeconds(31));
		this.lease.lifecycle().rotateNow(RotationReason.FORCED);
		this.lease.runDue();
		this.lease.vaultDown();
		this.lease.advance(Duration.ofSeconds(40));
		this.lease.stop();
		List<Meter> meters = this.registry.getMeters();
		assertThat(meters).hasSizeGreaterThanOrEqualTo(40);
		assertThat(meters).allSatisfy((meter) -> {
			assertThat(meter.getId().getName()).startsWith("vault.datasource.");
			assertThat(meter.getId().getDescription()).isNotBlank();
			// A unit the name does not end with would be appended to the Prometheus name (see
			// prometheusNamesAreTheDocumentedOnes): plain counts of things named by the meter carry none.
			if (!Set.of("vault.datasource.lease.state", "vault.datasource.credentials.issued",
					"vault.datasource.leases.unrevoked").contains(meter.getId().getName())) {
				assertThat(meter.getId().getBaseUnit()).isNotBlank();
			}
			for (Tag tag : meter.getId().getTags()) {
				assertThat(tag.getKey()).isIn("datasource", "outcome", "reason", "kind", "trigger", "state");
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

	// Prometheus appends a meter's base unit to its name unless the name already ends with it
	// ("credentials.issued" with unit "credentials" became ..._issued_credentials_total): the names
	// the guide, the alert rules and the dashboard use must be the ones a scrape shows.
	@Test
	void prometheusNamesAreTheDocumentedOnes() throws IOException {
		PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
		this.metrics.bindTo(prometheus);
		this.lease.lifecycle().rotateNow(RotationReason.FORCED);
		this.lease.runDue();
		Set<String> scraped = new TreeSet<>();
		for (String line : prometheus.scrape().split("\n")) {
			if (line.startsWith("vault_datasource_")) {
				scraped.add(line.split("[{ ]", 2)[0].replaceFirst("_(count|sum|max)$", ""));
			}
		}
		Path dir = Path.of("").toAbsolutePath();
		while (!Files.exists(dir.resolve("docs/operations.md"))) {
			dir = dir.getParent();
		}
		Matcher documented = Pattern.compile("\\(`(vault_datasource_[a-z_]+)`\\)")
			.matcher(Files.readString(dir.resolve("docs/operations.md")));
		Set<String> names = new TreeSet<>();
		while (documented.find()) {
			names.add(documented.group(1));
		}
		assertThat(scraped).isNotEmpty().isEqualTo(names);
	}

	private double counter(String name, String key, String value) {
		return this.registry.get(name).tag(key, value).functionCounter().count();
	}

}
