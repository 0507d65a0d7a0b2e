package io.github.vaultdatasource.sample;

import java.time.Duration;

import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.Test;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The demo's core path, as {@code scripts/demo.sh} runs it (short leases, an owner-session role,
 * the sample app with its own HTTP traffic), shortened to about 25 s: zero failed requests, at
 * least one rotation and two database users, the lease revoked on shutdown and no user left.
 */
class DemoIntegrationTests {

	@Test
	void trafficKeepsFlowingThroughRotationsAndNothingIsLeftBehind() {
		String role = SampleServers.roleName("dem");
		SampleServers.createRole(role, "4s", "10s");
		DemoTraffic traffic;
		try (ConfigurableApplicationContext context = new SpringApplicationBuilder(SampleApplication.class)
			.run(concat(SampleServers.arguments(role), "--server.port=0", "--sample.traffic.enabled=true"))) {
			DemoTraffic running = context.getBean(DemoTraffic.class);
			traffic = running;
			// On a timeout the app's own summary line, printed as it stops, shows how far it got.
			await("two rotations and two database users serving the traffic").atMost(Duration.ofSeconds(40))
				.pollInterval(Duration.ofMillis(500))
				.until(() -> running.rotations() >= 2 && running.users() >= 2);
		}
		System.out.println(traffic.summary());
		assertThat(traffic.requests()).isPositive();
		assertThat(traffic.failures()).isZero();
		assertThat(traffic.rotations()).isGreaterThanOrEqualTo(2);
		assertThat(traffic.users()).isGreaterThanOrEqualTo(2);
		assertThat(traffic.revokedOnShutdown()).isTrue();
		assertThat(VaultTestEnvironment.get().issuedUsers(role)).isEmpty();
	}

	private static String[] concat(String[] first, String... more) {
		String[] all = new String[first.length + more.length];
		System.arraycopy(first, 0, all, 0, first.length);
		System.arraycopy(more, 0, all, first.length, more.length);
		return all;
	}

}
