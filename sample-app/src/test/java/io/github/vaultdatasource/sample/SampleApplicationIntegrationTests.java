package io.github.vaultdatasource.sample;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.github.vaultdatasource.testsupport.LeaseSecrets;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sample app over HTTP against the real OpenBao and PostgreSQL, with leases of 5 s (12 s max)
 * so that renewals and rotations happen while the tests watch: the REST API, health, the
 * {@code vaultleases} endpoint, metrics and Prometheus output before and after a rotation, health
 * during a Vault outage, and that no response or log line holds a password, token or full lease id.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
@TestMethodOrder(OrderAnnotation.class)
class SampleApplicationIntegrationTests {

	private static final VaultTestEnvironment env = VaultTestEnvironment.get();

	private static final String ROLE = SampleServers.roleName("sam");

	private static final Pattern ROTATIONS = Pattern
		.compile("vault_datasource_lease_rotations_total\\{datasource=\"dataSource\",outcome=\"success\",reason=\"[a-z-]+\"} ([0-9.]+)");

	@LocalServerPort
	private int port;

	@Autowired
	private LeaseSecrets leaseSecrets;

	private SampleHttp http;

	@DynamicPropertySource
	static void vault(DynamicPropertyRegistry registry) {
		SampleServers.register(registry, ROLE, "5s", "12s");
		registry.add("vault.read-timeout", () -> "3s");
		registry.add("vault.connection-timeout", () -> "1s");
		registry.add("vault.health.expiry-threshold", () -> "1h");
	}

	private SampleHttp http() {
		if (this.http == null) {
			this.http = new SampleHttp(this.port);
		}
		return this.http;
	}

	@Test
	@Order(1)
	void servesRequestsAsVaultIssuedUsersAcrossRotations(CapturedOutput output) {
		Set<String> users = new LinkedHashSet<>();
		List<String> failures = new CopyOnWriteArrayList<>();
		AtomicInteger requests = new AtomicInteger();
		try {
			await("requests served by two database users").atMost(Duration.ofSeconds(40))
				.pollInSameThread()
				.pollInterval(Duration.ofMillis(10))
				.until(() -> {
					HttpResponse<String> created = http().post("/api/items",
							"{\"name\":\"item-" + requests.getAndAdd(2) + "\"}");
					HttpResponse<String> whoami = http().get("/api/whoami");
					if (created.statusCode() != 201 || whoami.statusCode() != 200) {
						failures.add(created.statusCode() + " " + whoami.statusCode() + " " + whoami.body());
						return false;
					}
					JsonNode me = http().getJson("/api/whoami");
					users.add(me.get("databaseUser").asString());
					assertThat(me.get("actingAs").asString()).isEqualTo("app_owner");
					return users.size() >= 2;
				});
		}
		finally {
			System.out.printf("sample app: %d requests, %d failed, database users %s%n", requests.get(),
					failures.size(), users);
		}
		assertThat(failures).isEmpty();
		assertThat(users).hasSizeGreaterThanOrEqualTo(2).allSatisfy((user) -> assertThat(user).startsWith("v-token-"));
		JsonNode items = http().getJson("/api/items");
		assertThat(items.get(0).get("createdBy").asString()).startsWith("v-token-");
		assertLogsHoldNoSecret(output, "Rotated data source 'dataSource'");
	}

	@Test
	@Order(2)
	void actuatorShowsTheLeaseChangeAcrossARotation(CapturedOutput output) {
		JsonNode health = http().getJson("/actuator/health");
		assertThat(health.at("/status").asString()).isEqualTo("UP");
		assertThat(health.at("/components/db/status").asString()).isEqualTo("UP");
		assertThat(health.at("/components/vaultServer/status").asString()).isEqualTo("UP");
		assertThat(health.at("/components/vaultLeases/status").asString()).isEqualTo("UP");
		assertThat(health.at("/components/vaultLeases/components/dataSource/details/role").asString()).isEqualTo(ROLE);
		assertThat(http().get("/actuator/health/readiness").statusCode()).isEqualTo(200);

		JsonNode before = http().getJson("/actuator/vaultleases").at("/leases/dataSource");
		assertThat(before.get("state").asString()).isEqualTo("ACTIVE");
		assertThat(before.get("leaseId").asString()).startsWith("database/creds/" + ROLE + "/…");
		double remaining = http().getJson("/actuator/metrics/vault.datasource.lease.remaining")
			.at("/measurements/0/value").asDouble();
		assertThat(remaining).isGreaterThan(0).isLessThanOrEqualTo(10);
		assertThat(http().get("/actuator/metrics/hikaricp.connections").statusCode()).isEqualTo(200);
		String prometheusBefore = http().get("/actuator/prometheus").body();
		assertThat(prometheusBefore).contains("vault_datasource_lease_remaining_seconds{datasource=\"dataSource\"}",
				"vault_datasource_credentials_issue_seconds_count{datasource=\"dataSource\"}", "hikaricp_connections{");

		long rotationsBefore = before.get("rotations").asLong();
		long revocationsBefore = before.get("revocations").asLong();
		// The endpoint counts a rotation from the switch on; the old lease is revoked once its
		// connections drained.
		await("a rotation and the revocation of the lease it replaced").atMost(Duration.ofSeconds(30))
			.until(() -> http().getJson("/actuator/vaultleases").at("/leases/dataSource"),
					(lease) -> lease.get("rotations").asLong() > rotationsBefore
							&& lease.get("revocations").asLong() > revocationsBefore);

		JsonNode after = http().getJson("/actuator/vaultleases").at("/leases/dataSource");
		System.out.println("vaultleases after a rotation: " + after);
		assertThat(after.get("username").asString()).isNotEqualTo(before.get("username").asString());
		assertThat(after.get("leaseId").asString()).isNotEqualTo(before.get("leaseId").asString());
		assertThat(after.get("revocations").asLong()).isGreaterThan(before.get("revocations").asLong());
		assertThat(http().getJson("/actuator/metrics/vault.datasource.lease.rotations?tag=outcome:success")
			.at("/measurements/0/value").asDouble()).isGreaterThanOrEqualTo(rotationsBefore + 1);
		assertThat(successfulRotations(http().get("/actuator/prometheus").body()))
			.isGreaterThan(successfulRotations(prometheusBefore));
		assertThat(http().getJson("/actuator/health")
			.at("/components/vaultLeases/components/dataSource/details/username")
			.asString()).isEqualTo(after.get("username").asString());
		assertLogsHoldNoSecret(output, "Rotated data source 'dataSource'");
	}

	@Test
	@Order(3)
	void forcedRotationIsRefusedWhileTheEndpointIsReadOnly() {
		assertThat(http().post("/actuator/vaultleases/dataSource", null).statusCode()).isEqualTo(405);
	}

	@Test
	@Order(4)
	void healthTellsAVaultOutageFromExpiredCredentials(CapturedOutput output) {
		String pid = env.currentVariable("VDS_BAO_PID");
		String during;
		env.run("kill", "-STOP", pid);
		try {
			await("vaultLeases no longer UP").atMost(Duration.ofSeconds(20))
				.until(() -> !"UP".equals(http().getJson("/actuator/health").at("/components/vaultLeases/status").asString()));
			HttpResponse<String> health = http().get("/actuator/health");
			during = health.body();
			System.out.println("health during the Vault outage: " + during);
			assertThat(health.statusCode()).isEqualTo(503);
			JsonNode body = http().getJson("/actuator/health");
			assertThat(body.at("/components/vaultServer/status").asString()).isEqualTo("UNAVAILABLE");
			assertThat(body.at("/components/vaultServer/details/reachable").asBoolean()).isFalse();
			assertThat(body.at("/components/vaultLeases/status").asString()).isIn("OUT_OF_SERVICE", "DOWN");
			assertThat(body.at("/components/vaultLeases/components/dataSource/details/consecutiveFailures").asInt())
				.isPositive();
		}
		finally {
			env.run("kill", "-CONT", pid);
		}
		await("vaultLeases UP again").atMost(Duration.ofSeconds(30))
			.until(() -> "UP".equals(http().getJson("/actuator/health").at("/components/vaultLeases/status").asString()));
		assertThat(http().get("/api/whoami").statusCode()).isEqualTo(200);
		assertLogsHoldNoSecret(output, "failed for data source 'dataSource'");
	}

	@Test
	@Order(5)
	void noResponseHoldsASecret() {
		http().get("/actuator/vaultleases");
		http().get("/actuator/health");
		http().get("/actuator/prometheus");
		List<String> secrets = this.leaseSecrets.all();
		assertThat(secrets).hasSizeGreaterThanOrEqualTo(6);
		String responses = String.join("\n", http().bodies());
		assertThat(responses).contains("v-token-" + ROLE);
		secrets.forEach((secret) -> assertThat(responses).doesNotContain(secret));
		assertThat(responses).doesNotContain(env.rootToken());
		// No field or value about passwords, except the static-role rotation reason's name (a metric tag).
		assertThat(responses.replace("reason=\"password-rotated\"", "")).doesNotContainIgnoringCase("password");
	}

	private void assertLogsHoldNoSecret(CapturedOutput output, String expectedLine) {
		// A rotation is logged once the old lease is revoked, a little after the switch the test saw.
		await("log line '" + expectedLine + "'").atMost(Duration.ofSeconds(15))
			.until(() -> output.getAll().contains(expectedLine));
		String logs = output.getAll();
		this.leaseSecrets.all().forEach((secret) -> assertThat(logs).doesNotContain(secret));
		assertThat(logs).doesNotContain(env.rootToken());
	}

	private static double successfulRotations(String prometheus) {
		Matcher matcher = ROTATIONS.matcher(prometheus);
		double total = 0;
		while (matcher.find()) {
			total += Double.parseDouble(matcher.group(1));
		}
		return total;
	}

	@TestConfiguration(proxyBeanMethods = false)
	static class LeaseSecretsConfiguration {

		@Bean
		LeaseSecrets leaseSecrets() {
			return new LeaseSecrets();
		}

	}

}
