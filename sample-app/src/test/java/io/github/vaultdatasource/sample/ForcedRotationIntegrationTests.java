package io.github.vaultdatasource.sample;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Forced rotation through {@code POST /actuator/vaultleases/dataSource} once the operator allowed
 * it ({@code management.endpoint.vaultleases.access=unrestricted}), with leases long enough (1 h)
 * that only the forced rotation can change the user.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = "management.endpoint.vaultleases.access=unrestricted")
class ForcedRotationIntegrationTests {

	private static final VaultTestEnvironment env = VaultTestEnvironment.get();

	private static final String ROLE = VaultTestEnvironment.uniqueName("frc").substring(0, 8);

	@LocalServerPort
	private int port;

	@DynamicPropertySource
	static void vault(DynamicPropertyRegistry registry) {
		env.createOwnerSessionRole(ROLE, "1h", "2h");
		registry.add("vault.uri", env::vaultAddress);
		registry.add("vault.token", env::rootToken);
		registry.add("vault.database.role", () -> ROLE);
		registry.add("spring.datasource.url", env::jdbcUrl);
	}

	@Test
	void rotatesAtOnceWhenAsked() throws InterruptedException {
		SampleHttp http = new SampleHttp(this.port);
		String before = http.getJson("/api/whoami").get("databaseUser").asString();
		HttpResponse<String> response = http.post("/actuator/vaultleases/dataSource", null);
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).contains("\"previousUsername\":\"" + before + "\"");
		Instant deadline = Instant.now().plusSeconds(15);
		JsonNode lease = http.getJson("/actuator/vaultleases").at("/leases/dataSource");
		while (lease.get("rotations").asLong() < 1 && Instant.now().isBefore(deadline)) {
			Thread.sleep(100);
			lease = http.getJson("/actuator/vaultleases").at("/leases/dataSource");
		}
		assertThat(lease.get("rotations").asLong()).isEqualTo(1);
		assertThat(lease.get("username").asString()).isNotEqualTo(before);
		assertThat(http.getJson("/api/whoami").get("databaseUser").asString()).isEqualTo(lease.get("username").asString());
		assertThat(http.getJson("/actuator/metrics/vault.datasource.lease.rotations?tag=reason:forced")
			.at("/measurements/0/value").asDouble()).isEqualTo(1.0);
		HttpResponse<String> unknown = http.post("/actuator/vaultleases/nope", null);
		assertThat(unknown.statusCode()).isEqualTo(400);
		assertThat(unknown.body()).contains("nope");
		assertThat(env.leaseKnown("database/creds/" + ROLE)).isFalse();
		System.out.printf("forced rotation: %s -> %s in under %s%n", before, lease.get("username").asString(),
				Duration.ofSeconds(15));
	}

}
