package io.github.vaultdatasource.actuate.endpoint;

import java.time.Duration;

import io.github.vaultdatasource.actuate.endpoint.VaultLeasesEndpoint.LeaseDescriptor;
import io.github.vaultdatasource.actuate.endpoint.VaultLeasesEndpoint.RotationRequestDescriptor;
import io.github.vaultdatasource.actuate.endpoint.VaultLeasesEndpoint.VaultLeasesDescriptor;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.lease.SimulatedLease;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link VaultLeasesEndpoint}.
 */
class VaultLeasesEndpointTests {

	private final ManagedLeases leases = new ManagedLeases();

	private final VaultLeasesEndpoint endpoint = new VaultLeasesEndpoint(this.leases);

	private final SimulatedLease primary = new SimulatedLease("dataSource", Duration.ofSeconds(60), (event) -> {
	});

	private final SimulatedLease reporting = new SimulatedLease("reportingDataSource", Duration.ofSeconds(60),
			(event) -> {
			});

	@BeforeEach
	void register() {
		this.leases.register(this.primary.lifecycle());
		this.leases.register(this.reporting.lifecycle());
	}

	@Test
	void listsEveryManagedLease() {
		this.primary.advance(Duration.ofSeconds(31));
		VaultLeasesDescriptor descriptor = this.endpoint.leases();
		assertThat(descriptor.leases()).containsOnlyKeys("dataSource", "reportingDataSource");
		LeaseDescriptor lease = descriptor.leases().get("dataSource");
		assertThat(lease.role()).isEqualTo("app");
		assertThat(lease.state()).isEqualTo("ACTIVE");
		assertThat(lease.username()).isEqualTo("v-1");
		assertThat(lease.leaseId()).startsWith("database/creds/app/…");
		assertThat(lease.timeToExpirySeconds()).isEqualTo(59.0);
		assertThat(lease.renewals()).isEqualTo(1);
		assertThat(lease.rotations()).isZero();
		assertThat(lease.nextAction()).isEqualTo("RENEW");
	}

	@Test
	void describesOneLeaseOrNothingForAnUnknownName() {
		assertThat(this.endpoint.lease("reportingDataSource")).isNotNull();
		assertThat(this.endpoint.lease("nope")).isNull();
	}

	@Test
	void forcedRotationIssuesNewCredentials() {
		RotationRequestDescriptor request = this.endpoint.rotate("dataSource");
		assertThat(request).isNotNull();
		assertThat(request.previousUsername()).isEqualTo("v-1");
		assertThat(request.rotationsBefore()).isZero();
		this.primary.runDue();
		LeaseDescriptor after = this.endpoint.lease("dataSource");
		assertThat(after.username()).isEqualTo("v-2");
		assertThat(after.rotations()).isEqualTo(1);
		assertThat(after.revocations()).isEqualTo(1);
		assertThatExceptionOfType(InvalidEndpointRequestException.class)
			.isThrownBy(() -> this.endpoint.rotate("nope"))
			.withMessageContaining("'nope'")
			.withMessageContaining("[dataSource, reportingDataSource]");
	}

	@Test
	void jsonHoldsNoPasswordOrFullLeaseId() {
		this.endpoint.rotate("dataSource");
		this.primary.runDue();
		this.primary.vaultDown();
		this.primary.advance(Duration.ofSeconds(40));
		JsonMapper json = JsonMapper.builder().build();
		String body = json.writeValueAsString(this.endpoint.leases()) + json.writeValueAsString(this.endpoint.rotate("dataSource"));
		assertThat(body).contains("\"username\":\"v-2\"", "lastFailure");
		assertThat(this.primary.secrets()).hasSize(4).allSatisfy((secret) -> assertThat(body).doesNotContain(secret));
		assertThat(this.reporting.secrets()).allSatisfy((secret) -> assertThat(body).doesNotContain(secret));
	}

}
