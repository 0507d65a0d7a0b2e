package io.github.vaultdatasource.autoconfigure;

import java.net.URI;

import javax.sql.DataSource;

import io.github.vaultdatasource.health.VaultServerHealthIndicator;
import io.github.vaultdatasource.testsupport.TcpProxy;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.actuate.endpoint.CompositeHealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.IndicatedHealthDescriptor;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The application's overall health while the real OpenBao is out of reach (a proxy in front of it
 * is cut): {@code vaultServer} says so, and the overall status stays {@code UP} because the lease is
 * valid and queries keep working.
 */
class VaultServerHealthIntegrationTests {

	private final VaultTestEnvironment environment = VaultTestEnvironment.get();

	private TcpProxy proxy;

	private String role;

	@BeforeEach
	void setUp() throws Exception {
		this.proxy = TcpProxy.start(URI.create(this.environment.vaultAddress()).getPort());
		this.role = VaultTestEnvironment.uniqueName("it-health");
		this.environment.createRole(this.role, "2m", "10m");
	}

	@AfterEach
	void tearDown() {
		this.proxy.close();
		this.environment.deleteRole(this.role);
	}

	@Test
	void unreachableVaultDoesNotTakeTheOverallHealthDownWhileTheLeaseIsValid() {
		String address = "http://127.0.0.1:" + this.proxy.port();
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					VaultDataSourceAutoConfiguration.class, VaultDataSourceHealthAutoConfiguration.class,
					HealthContributorAutoConfiguration.class, HealthContributorRegistryAutoConfiguration.class,
					HealthEndpointAutoConfiguration.class))
			.withPropertyValues("spring.datasource.url=" + this.environment.jdbcUrl(), "vault.uri=" + address,
					"vault.token=" + this.environment.rootToken(), "vault.database.role=" + this.role,
					"vault.read-timeout=2s", "management.endpoint.health.show-details=always",
					"spring.jmx.enabled=true", "management.endpoints.jmx.exposure.include=health")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				HealthEndpoint endpoint = context.getBean(HealthEndpoint.class);
				CompositeHealthDescriptor before = (CompositeHealthDescriptor) endpoint.health();
				assertThat(before.getStatus()).isEqualTo(Status.UP);
				assertThat(((IndicatedHealthDescriptor) before.getComponents().get("vaultServer")).getDetails())
					.containsEntry("node", address);

				this.proxy.cut();
				CompositeHealthDescriptor during = (CompositeHealthDescriptor) endpoint.health();
				assertThat(during.getComponents().get("vaultServer").getStatus())
					.isEqualTo(VaultServerHealthIndicator.UNAVAILABLE);
				assertThat(((IndicatedHealthDescriptor) during.getComponents().get("vaultServer")).getDetails())
					.containsEntry("reachable", false);
				assertThat(during.getComponents().get("vaultLeases").getStatus()).isEqualTo(Status.UP);
				assertThat(during.getStatus()).isEqualTo(Status.UP);
				assertThat(VaultDataSourceIntegrationTests.currentUser(context.getBean(DataSource.class)))
					.startsWith("v-token-");

				this.proxy.connect();
				assertThat(endpoint.health().getStatus()).isEqualTo(Status.UP);
				assertThat(((CompositeHealthDescriptor) endpoint.health()).getComponents().get("vaultServer").getStatus())
					.isEqualTo(Status.UP);
			});
	}

}
