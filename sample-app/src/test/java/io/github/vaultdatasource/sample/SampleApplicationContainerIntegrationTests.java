package io.github.vaultdatasource.sample;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.IntStream;

import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.lease.LeaseStatus;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.testsupport.LeaseSecrets;
import io.github.vaultdatasource.testcontainers.ContainerDatabase;
import io.github.vaultdatasource.testcontainers.DockerRequired;
import io.github.vaultdatasource.testcontainers.OpenBaoContainer;
import io.github.vaultdatasource.testcontainers.TestImages;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.containers.Network;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.postgresql.PostgreSQLContainer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sample app over HTTP with its PostgreSQL and OpenBao in containers, wired by
 * {@code @ServiceConnection} alone: Flyway migrates as a Vault-issued user into tables the owner
 * role owns, steady traffic is served by {@code v-…} users across a rotation without one failed
 * request, and once the app has shut down OpenBao holds no lease and PostgreSQL no issued user.
 * <p>
 * The shutdown check is an extension declared between {@code @Testcontainers} and
 * {@code @SpringBootTest}: its {@code afterAll} runs after Spring closed the context
 * ({@code @DirtiesContext}) and before the containers stop.
 */
@ExtendWith(DockerRequired.class)
@ExtendWith(OutputCaptureExtension.class)
@Testcontainers
@ExtendWith(SampleApplicationContainerIntegrationTests.NothingLeftAfterShutdown.class)
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@DirtiesContext
@TestMethodOrder(OrderAnnotation.class)
class SampleApplicationContainerIntegrationTests {

	private static final Network network = Network.newNetwork();

	// JDBC only: Flyway's own connection details would migrate as the container's superuser
	@Container
	@ServiceConnection(type = JdbcConnectionDetails.class)
	static final PostgreSQLContainer postgres = new PostgreSQLContainer(TestImages.postgres()).withNetwork(network);

	@Container
	@ServiceConnection
	static final OpenBaoContainer openBao = new OpenBaoContainer(TestImages.openBao()).withDatabase(postgres)
		.withOwnerSession()
		// A rotation ~20 s in. With 5 s leases a clean-clone CI run at load average ~20 rotated (and
		// revoked) the first user while Flyway still migrated on its connection: startup failed (08003).
		.withTtl(Duration.ofSeconds(10), Duration.ofSeconds(24));

	private static final int WORKERS = 4;

	private static final JsonMapper json = JsonMapper.builder().build();

	private static final Set<String> issuedUsers = ConcurrentHashMap.newKeySet();

	private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@LocalServerPort
	private int port;

	@Autowired
	private ManagedLeases leases;

	@Autowired
	private LeaseSecrets leaseSecrets;

	@Test
	@Order(1)
	void migratesAsAnIssuedUserIntoTablesTheOwnerRoleOwns() throws SQLException {
		assertThat(ContainerDatabase.query(postgres,
				"SELECT tablename || ':' || tableowner FROM pg_tables WHERE schemaname = 'public'"))
			.contains("items:app_owner", "flyway_schema_history:app_owner");
		// Flyway records current_user: the issued user's session acted as the owner role.
		assertThat(ContainerDatabase.query(postgres, "SELECT installed_by FROM flyway_schema_history WHERE success"))
			.isNotEmpty()
			.containsOnly("app_owner");
	}

	@Test
	@Order(2)
	void servesRequestsAsIssuedUsersAcrossRotationsWithoutAFailure(CapturedOutput output) throws Exception {
		LeaseLifecycle lifecycle = this.leases.get("dataSource").orElseThrow();
		LeaseStatus before = lifecycle.status();
		Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
		Map<String, AtomicLong> servedBy = new ConcurrentHashMap<>();
		Set<String> actingAs = ConcurrentHashMap.newKeySet();
		List<String> failures = new CopyOnWriteArrayList<>();
		AtomicBoolean stop = new AtomicBoolean();
		List<Thread> threads = new ArrayList<>();
		long started = System.nanoTime();
		AtomicLongArray rounds = new AtomicLongArray(WORKERS);
		for (int i = 0; i < WORKERS; i++) {
			int worker = i;
			Thread thread = new Thread(() -> {
				long n = 0;
				while (!stop.get()) {
					JsonNode created = call(requests, failures, "POST /api/items", 201,
							HttpRequest.newBuilder(uri("/api/items"))
								.header("Content-Type", "application/json")
								.POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"w" + worker + "-" + n++ + "\"}")));
					if (created != null) {
						servedBy.computeIfAbsent(created.path("createdBy").asString(), (user) -> new AtomicLong())
							.incrementAndGet();
					}
					call(requests, failures, "GET /api/items", 200, HttpRequest.newBuilder(uri("/api/items")).GET());
					JsonNode me = call(requests, failures, "GET /api/whoami", 200,
							HttpRequest.newBuilder(uri("/api/whoami")).GET());
					if (me != null) {
						servedBy.computeIfAbsent(me.path("databaseUser").asString(), (user) -> new AtomicLong())
							.incrementAndGet();
						actingAs.add(me.path("actingAs").asString());
					}
					rounds.incrementAndGet(worker);
				}
			}, "traffic-" + i);
			threads.add(thread);
			thread.start();
		}
		// Until the traffic has seen a rotation and the user it replaced is gone, then until every
		// worker has served a whole round of requests begun after that.
		Set<String> replaced = new TreeSet<>();
		try {
			await("traffic served by a second user").atMost(Duration.ofSeconds(60)).until(() -> servedBy.size() >= 2);
			replaced.addAll(servedBy.keySet());
			replaced.remove(lifecycle.status().username());
			await("replaced users dropped").atMost(Duration.ofSeconds(30))
				.until(() -> Collections.disjoint(replaced, ContainerDatabase.roles(postgres)));
			long[] roundsAtDrop = new long[WORKERS];
			for (int i = 0; i < WORKERS; i++) {
				roundsAtDrop[i] = rounds.get(i);
			}
			await("a whole round per worker after the drop").atMost(Duration.ofSeconds(30))
				.until(() -> IntStream.range(0, WORKERS).allMatch((i) -> rounds.get(i) >= roundsAtDrop[i] + 2));
		}
		finally {
			stop.set(true);
			for (Thread thread : threads) {
				thread.join(Duration.ofSeconds(40).toMillis());
			}
		}
		LeaseStatus after = lifecycle.status();
		long total = requests.values().stream().mapToLong(AtomicLong::get).sum();
		System.out.printf("sample app in containers: %d requests %s in %.1f s, %d failed %s, %d rotations, "
				+ "%d revocations, served by %s, acting as %s%n", total, new TreeMap<>(requests),
				(System.nanoTime() - started) / 1e9, failures.size(), failures.stream().limit(5).toList(),
				after.counts().rotations() - before.counts().rotations(), after.counts().revocations() - before.counts().revocations(),
				new TreeMap<>(servedBy), actingAs);
		issuedUsers.addAll(servedBy.keySet());
		assertThat(failures).isEmpty();
		assertThat(after.counts().rotations()).isGreaterThan(before.counts().rotations());
		assertThat(after.counts().revocations()).isGreaterThan(before.counts().revocations());
		assertThat(replaced).as("users replaced while the traffic ran").isNotEmpty();
		assertThat(ContainerDatabase.roles(postgres)).as("replaced users left in PostgreSQL")
			.doesNotContainAnyElementsOf(replaced);
		assertThat(servedBy.keySet()).hasSizeGreaterThanOrEqualTo(2)
			.allSatisfy((user) -> assertThat(user).startsWith("v-token-app-"));
		assertThat(actingAs).containsExactly("app_owner");
		// The login came through @ServiceConnection: no password, full lease id or token in the log.
		String logs = output.getAll();
		assertThat(logs).contains("Rotated data source 'dataSource'");
		this.leaseSecrets.all().forEach((secret) -> assertThat(logs).doesNotContain(secret));
		assertThat(logs).doesNotContain(openBao.getRootToken());
	}

	private URI uri(String path) {
		return URI.create("http://127.0.0.1:" + this.port + path);
	}

	private JsonNode call(Map<String, AtomicLong> requests, List<String> failures, String what, int expectedStatus,
			HttpRequest.Builder request) {
		requests.computeIfAbsent(what, (key) -> new AtomicLong()).incrementAndGet();
		try {
			HttpResponse<String> response = this.client.send(request.timeout(Duration.ofSeconds(30)).build(),
					HttpResponse.BodyHandlers.ofString());
			if (response.statusCode() != expectedStatus) {
				failures.add(what + " -> " + response.statusCode() + " " + response.body());
				return null;
			}
			return json.readTree(response.body());
		}
		catch (Exception ex) {
			failures.add(what + " -> " + ex);
			return null;
		}
	}

	@TestConfiguration(proxyBeanMethods = false)
	static class LeaseSecretsConfiguration {

		@Bean
		LeaseSecrets leaseSecrets() {
			return new LeaseSecrets();
		}

	}

	/**
	 * After the context closed: OpenBao knows no lease of the role, PostgreSQL no issued user.
	 */
	static class NothingLeftAfterShutdown implements AfterAllCallback {

		@Override
		public void afterAll(ExtensionContext context) throws SQLException {
			List<String> leases = openBao.getLeaseIds();
			List<String> users = ContainerDatabase.roles(postgres);
			System.out.printf("sample app in containers, after shutdown: %d leases, issued users left %s%n",
					leases.size(), users.stream().filter((user) -> user.startsWith("v-")).toList());
			assertThat(issuedUsers).as("users seen by the tests").isNotEmpty();
			assertThat(leases).as("leases left after shutdown").isEmpty();
			assertThat(users).as("issued users left in PostgreSQL after shutdown")
				.doesNotContainAnyElementsOf(issuedUsers)
				.noneMatch((user) -> user.startsWith("v-"));
		}

	}

}
