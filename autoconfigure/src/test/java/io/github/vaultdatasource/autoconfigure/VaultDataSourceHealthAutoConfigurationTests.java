package io.github.vaultdatasource.autoconfigure;

import java.time.Duration;

import io.github.vaultdatasource.health.VaultLeaseHealthIndicator;
import io.github.vaultdatasource.health.VaultServerHealthIndicator;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.lease.SimulatedLease;
import io.github.vaultdatasource.vault.VaultServerStatus;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthContributors;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link VaultDataSourceHealthAutoConfiguration}.
 */
class VaultDataSourceHealthAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VaultDataSourceAutoConfiguration.class,
				VaultDataSourceHealthAutoConfiguration.class, HealthContributorAutoConfiguration.class))
		.withPropertyValues("vault.uri=http://127.0.0.1:9", "vault.database.role=app", "vault.token=test-token");

	@Test
	void registersALeaseIndicatorKeyedByDataSourceNameAndAServerIndicator() {
		this.contextRunner.withBean(ManagedLeases.class, () -> leases("dataSource")).run((context) -> {
			assertThat(context).hasNotFailed().hasSingleBean(VaultServerHealthIndicator.class);
			CompositeHealthContributor composite = context.getBean("vaultLeasesHealthContributor",
					CompositeHealthContributor.class);
			assertThat(composite.stream()).extracting(HealthContributors.Entry::name).containsExactly("dataSource");
			assertThat(((HealthIndicator) composite.getContributor("dataSource")).health().getStatus())
				.isEqualTo(Status.UP);
		});
	}

	@Test
	void readsTheLeasesWhenAskedSoADataSourceManagedLaterAppears() {
		ManagedLeases leases = new ManagedLeases();
		this.contextRunner.withBean(ManagedLeases.class, () -> leases).run((context) -> {
			CompositeHealthContributor composite = context.getBean("vaultLeasesHealthContributor",
					CompositeHealthContributor.class);
			assertThat(composite.stream()).isEmpty();
			leases.register(new SimulatedLease("lateDataSource", Duration.ofSeconds(60), (event) -> {
			}).lifecycle());
			assertThat(composite.stream()).extracting(HealthContributors.Entry::name).containsExactly("lateDataSource");
			assertThat(composite.getContributor("lateDataSource")).isInstanceOf(VaultLeaseHealthIndicator.class);
			assertThat(composite.getContributor("unknown")).isNull();
		});
	}

	@Test
	void registersACompositeForSeveralManagedDataSources() {
		this.contextRunner.withBean(ManagedLeases.class, () -> leases("dataSource", "reportingDataSource"))
			.run((context) -> {
				HealthContributor contributor = context.getBean("vaultLeasesHealthContributor", HealthContributor.class);
				assertThat(contributor).isInstanceOf(CompositeHealthContributor.class);
				CompositeHealthContributor composite = (CompositeHealthContributor) contributor;
				assertThat(composite.getContributor("dataSource")).isInstanceOf(VaultLeaseHealthIndicator.class);
				assertThat(composite.getContributor("reportingDataSource")).isInstanceOf(VaultLeaseHealthIndicator.class);
			});
	}

	@Test
	void eachIndicatorCanBeTurnedOff() {
		this.contextRunner.withPropertyValues("management.health.vaultleases.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean("vaultLeasesHealthContributor")
				.hasSingleBean(VaultServerHealthIndicator.class));
		this.contextRunner.withPropertyValues("management.health.vaultserver.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed()
				.hasBean("vaultLeasesHealthContributor")
				.doesNotHaveBean(VaultServerHealthIndicator.class));
	}

	@Test
	void backsOffFromUserBeans() {
		HealthIndicator own = () -> org.springframework.boot.health.contributor.Health.up().build();
		VaultServerHealthIndicator ownServer = new VaultServerHealthIndicator(
				() -> VaultServerStatus.unreachable("test"));
		this.contextRunner.withBean("vaultLeasesHealthContributor", HealthIndicator.class, () -> own)
			.withBean(VaultServerHealthIndicator.class, () -> ownServer)
			.run((context) -> {
				assertThat(context.getBean("vaultLeasesHealthContributor")).isSameAs(own);
				assertThat(context.getBean(VaultServerHealthIndicator.class)).isSameAs(ownServer);
			});
	}

	@Test
	void backsOffWithoutBootHealthOnTheClasspath() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(AbstractHealthIndicator.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(ManagedLeases.class)
				.doesNotHaveBean("vaultLeasesHealthContributor")
				.doesNotHaveBean(VaultServerHealthIndicator.class));
	}

	@Test
	void backsOffWhenTheStarterIsDisabled() {
		this.contextRunner.withPropertyValues("vault.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean("vaultLeasesHealthContributor")
				.doesNotHaveBean(VaultServerHealthIndicator.class));
	}

	private static ManagedLeases leases(String... names) {
		ManagedLeases leases = new ManagedLeases();
		for (String name : names) {
			leases.register(new SimulatedLease(name, Duration.ofSeconds(60), (event) -> {
			}).lifecycle());
		}
		return leases;
	}

}
