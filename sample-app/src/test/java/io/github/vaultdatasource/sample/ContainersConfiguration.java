package io.github.vaultdatasource.sample;

import java.time.Duration;

import io.github.vaultdatasource.testcontainers.OpenBaoContainer;
import io.github.vaultdatasource.testcontainers.TestImages;
import org.testcontainers.containers.Network;
import org.testcontainers.postgresql.PostgreSQLContainer;

import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.springframework.context.annotation.Bean;

/**
 * PostgreSQL and an OpenBao that issues its users, as {@code @ServiceConnection} beans, for
 * running the sample app on a developer machine ({@link TestSampleApplication}). Leases of 30 s
 * (2 min at most) show a rotation every minute or two; issued users act as the owner role so that
 * Flyway's tables outlive them.
 */
@TestConfiguration(proxyBeanMethods = false)
class ContainersConfiguration {

	@Bean
	Network containersNetwork() {
		return Network.newNetwork();
	}

	// JDBC only: Flyway's own connection details would migrate as the container's superuser
	@Bean
	@ServiceConnection(type = JdbcConnectionDetails.class)
	PostgreSQLContainer postgresContainer(Network containersNetwork) {
		return new PostgreSQLContainer(TestImages.postgres()).withNetwork(containersNetwork);
	}

	@Bean
	@ServiceConnection
	OpenBaoContainer openBaoContainer(PostgreSQLContainer postgresContainer) {
		return new OpenBaoContainer(TestImages.openBao()).withDatabase(postgresContainer)
			.withOwnerSession()
			.withTtl(Duration.ofSeconds(30), Duration.ofMinutes(2));
	}

}
