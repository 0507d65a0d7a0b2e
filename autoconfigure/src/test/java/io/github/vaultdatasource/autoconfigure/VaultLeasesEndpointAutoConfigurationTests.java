package io.github.vaultdatasource.autoconfigure;

import io.github.vaultdatasource.actuate.endpoint.VaultLeasesEndpoint;
import io.github.vaultdatasource.lease.ManagedLeases;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link VaultLeasesEndpointAutoConfiguration}.
 */
class VaultLeasesEndpointAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VaultDataSourceAutoConfiguration.class,
				VaultLeasesEndpointAutoConfiguration.class))
		.withPropertyValues("vault.uri=http://127.0.0.1:9", "vault.database.role=app", "vault.token=test-token");

	@Test
	void absentUnlessExposed() {
		this.contextRunner.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(VaultLeasesEndpoint.class));
	}

	@Test
	void presentWhenExposedOverHttp() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=health,vaultleases")
			.run((context) -> assertThat(context).hasSingleBean(VaultLeasesEndpoint.class));
	}

	@Test
	void absentWhenAccessIsNone() {
		this.contextRunner
			.withPropertyValues("management.endpoints.web.exposure.include=vaultleases",
					"management.endpoint.vaultleases.access=NONE")
			.run((context) -> assertThat(context).doesNotHaveBean(VaultLeasesEndpoint.class));
	}

	@Test
	void backsOffFromAUserBean() {
		VaultLeasesEndpoint own = new VaultLeasesEndpoint(new ManagedLeases());
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=vaultleases")
			.withBean(VaultLeasesEndpoint.class, () -> own)
			.run((context) -> assertThat(context.getBean(VaultLeasesEndpoint.class)).isSameAs(own));
	}

	@Test
	void backsOffWithoutActuatorOnTheClasspath() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=vaultleases")
			.withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate"))
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(ManagedLeases.class)
				.doesNotHaveBean(VaultLeasesEndpoint.class));
	}

}
