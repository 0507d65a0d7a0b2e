package io.github.vaultdatasource.sample;

import java.net.http.HttpResponse;
import java.time.Duration;

import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Forced rotation through {@code POST /actuator/vaultleases/dataSource} once the operator allowed
 * it ({@code management.endpoint.vaultleases.access=unrestricted}), with leases long enough (1 h)
 * that only the forced rotation can change the user: the app moves to a new user and lease, and
 * Vault no longer knows the lease it replaced (the lease ids come from the app's
 * {@link ManagedLeases}, since no HTTP answer shows a full one).
 */
// No jitter: the test counts exactly one rotation, and with jitter the first rotation of a lease
// whose max_ttl is known may come at any point of its life (here 2 h, so rarely within the test).
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "management.endpoint.vaultleases.access=unrestricted", "vault.lease.jitter=0" })
@DirtiesContext
class ForcedRotationIntegrationTests {

	private static final VaultTestEnvironment env = VaultTestEnvironment.get();

	private static final String ROLE = SampleServers.roleName("frc");

	private static final Duration TIMEOUT = Duration.ofSeconds(15);

	@LocalServerPort
	private int port;

	@Autowired
	private ManagedLeases leases;

	@DynamicPropertySource
	static void vault(DynamicPropertyRegistry registry) {
		SampleServers.register(registry, ROLE, "1h", "2h");
	}

	@Test
	void rotatesAtOnceWhenAsked() {
		SampleHttp http = new SampleHttp(this.port);
		LeaseLifecycle lifecycle = this.leases.get("dataSource").orElseThrow();
		CredentialLease before = lifecycle.currentLease();
		assertThat(before).isNotNull();
		// The lookup below must be able to say "known": it does for the lease in use.
		assertThat(env.leaseKnown(before.leaseId())).as("Vault knows the lease in use").isTrue();
		assertThat(http.getJson("/api/whoami").get("databaseUser").asString()).isEqualTo(before.username());

		HttpResponse<String> response = http.post("/actuator/vaultleases/dataSource", null);
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).contains("\"previousUsername\":\"" + before.username() + "\"");
		JsonNode lease = await("a rotation in the vaultleases endpoint").atMost(TIMEOUT)
			.until(() -> http.getJson("/actuator/vaultleases").at("/leases/dataSource"),
					(node) -> node.get("rotations").asLong() >= 1);
		assertThat(lease.get("rotations").asLong()).isEqualTo(1);
		String user = lease.get("username").asString();
		assertThat(user).isNotEqualTo(before.username());
		// The endpoint shows the new user from the switch on; connections of the old one serve until
		// they are evicted after the surge.
		await("requests served as the new user").atMost(TIMEOUT)
			.until(() -> http.getJson("/api/whoami").get("databaseUser").asString(), user::equals);
		assertThat(http.getJson("/actuator/metrics/vault.datasource.lease.rotations?tag=reason:forced")
			.at("/measurements/0/value").asDouble()).isEqualTo(1.0);

		CredentialLease after = lifecycle.currentLease();
		assertThat(after).isNotNull();
		assertThat(after.username()).isEqualTo(user);
		assertThat(after.leaseId()).isNotEqualTo(before.leaseId());
		await("the replaced lease revoked in Vault").atMost(TIMEOUT).until(() -> !env.leaseKnown(before.leaseId()));
		assertThat(env.databaseRoles(before.username())).as("replaced user left in PostgreSQL").isEmpty();
		assertThat(env.leaseKnown(after.leaseId())).as("Vault knows the new lease").isTrue();

		HttpResponse<String> unknown = http.post("/actuator/vaultleases/nope", null);
		assertThat(unknown.statusCode()).isEqualTo(400);
		assertThat(unknown.body()).contains("nope");
		System.out.printf("forced rotation: %s -> %s, the old lease revoked in Vault%n", before.username(), user);
	}

}
