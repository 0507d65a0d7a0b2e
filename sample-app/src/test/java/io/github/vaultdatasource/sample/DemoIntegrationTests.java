package io.github.vaultdatasource.sample;

import java.time.Duration;

import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.Test;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo's core path, as {@code scripts/demo.sh} runs it (short leases, an owner-session role,
 * the sample app with its own HTTP traffic), shortened to about 25 s: zero failed requests, at
 * least one rotation and two database users, the lease revoked on shutdown and no user left.
 */
class DemoIntegrationTests {

	private final VaultTestEnvironment env = VaultTestEnvironment.get();

	@Test
	void trafficKeepsFlowingThroughRotationsAndNothingIsLeftBehind() throws InterruptedException {
		String role = VaultTestEnvironment.uniqueName("dem").substring(0, 8);
		this.env.createOwnerSessionRole(role, "4s", "10s");
		DemoTraffic traffic;
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(SampleApplication.class).run(
				"--server.port=0", "--sample.traffic.enabled=true", "--vault.uri=" + this.env.vaultAddress(),
				"--vault.token=" + this.env.rootToken(), "--vault.database.role=" + role,
				"--spring.datasource.url=" + this.env.jdbcUrl())) {
			traffic = context.getBean(DemoTraffic.class);
			long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
			while ((traffic.rotations() < 2 || traffic.users() < 2) && System.nanoTime() < deadline) {
				Thread.sleep(500);
			}
		}
		System.out.println(traffic.summary());
		assertThat(traffic.requests()).isPositive();
		assertThat(traffic.failures()).isZero();
		assertThat(traffic.rotations()).isGreaterThanOrEqualTo(2);
		assertThat(traffic.users()).isGreaterThanOrEqualTo(2);
		assertThat(traffic.revokedOnShutdown()).isTrue();
		assertThat(this.env.databaseRoles("v-token-" + role)).isEmpty();
	}

}
