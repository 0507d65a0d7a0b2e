package io.github.vaultdatasource.autoconfigure;

import java.time.Duration;

import io.github.vaultdatasource.health.VaultServerHealthIndicator;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.lease.SimulatedLease;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.actuate.endpoint.CompositeHealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How {@code vaultServer} counts in the application's overall health: an unreachable Vault (here
 * a closed port) must not take the overall status down while the leases are valid, unless the
 * application asks for it with Boot's status order.
 */
class VaultServerHealthContributionTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VaultDataSourceAutoConfiguration.class,
				VaultDataSourceHealthAutoConfiguration.class, HealthContributorAutoConfiguration.class,
				HealthContributorRegistryAutoConfiguration.class, HealthEndpointAutoConfiguration.class))
		.withBean(ManagedLeases.class, VaultServerHealthContributionTests::validLease)
		.withPropertyValues("vault.uri=http://127.0.0.1:9", "vault.database.role=app", "vault.token=test-token",
				"vault.read-timeout=1s", "management.endpoint.health.show-components=always",
				// A non-web context: the endpoint is available when exposed over JMX.
				"spring.jmx.enabled=true", "management.endpoints.jmx.exposure.include=health");

	@Test
	void unreachableVaultLeavesTheOverallStatusUpWhileLeasesAreValid() {
		this.contextRunner.run((context) -> {
			CompositeHealthDescriptor health = (CompositeHealthDescriptor) context.getBean(HealthEndpoint.class).health();
			assertThat(status(health, "vaultServer")).isEqualTo(VaultServerHealthIndicator.UNAVAILABLE);
			assertThat(status(health, "vaultLeases")).isEqualTo(Status.UP);
			assertThat(health.getStatus()).isEqualTo(Status.UP);
		});
	}

	@Test
	void statusOrderCanLetAnUnreachableVaultCount() {
		this.contextRunner
			.withPropertyValues("management.endpoint.health.status.order=down,out-of-service,unavailable,up,unknown")
			.run((context) -> assertThat(context.getBean(HealthEndpoint.class).health().getStatus())
				.isEqualTo(VaultServerHealthIndicator.UNAVAILABLE));
	}

	@Test
	void vaultServerCanBeKeptOutOfAReadinessGroup() {
		this.contextRunner.withPropertyValues("management.endpoint.health.group.readiness.include=vaultLeases")
			.run((context) -> {
				HealthDescriptor readiness = context.getBean(HealthEndpoint.class).healthForPath("readiness");
				assertThat(readiness.getStatus()).isEqualTo(Status.UP);
				assertThat(((CompositeHealthDescriptor) readiness).getComponents()).containsOnlyKeys("vaultLeases");
			});
	}

	private static Status status(CompositeHealthDescriptor health, String component) {
		return health.getComponents().get(component).getStatus();
	}

	private static ManagedLeases validLease() {
		ManagedLeases leases = new ManagedLeases();
		leases.register(new SimulatedLease("dataSource", Duration.ofMinutes(10), (event) -> {
		}).lifecycle());
		return leases;
	}

}
