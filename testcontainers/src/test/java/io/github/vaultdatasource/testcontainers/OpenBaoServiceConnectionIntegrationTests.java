package io.github.vaultdatasource.testcontainers;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.testcontainers.OpenBaoContainer.Answer;
import org.junit.jupiter.api.MethodOrderer;
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

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.test.annotation.DirtiesContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * An application whose PostgreSQL and OpenBao come from containers through
 * {@code @ServiceConnection}: it queries as Vault-issued users, not as the container's static user,
 * keeps querying without failures while leases of seconds rotate, and leaves no lease and no
 * user behind when it shuts down. Issued users reach the init script's table through the owner
 * role, and revoking one ends the sessions still open under it.
 * <p>
 * The shutdown check is an extension declared between {@code @Testcontainers} and
 * {@code @SpringBootTest}: its {@code afterAll} runs after Spring closed the context
 * ({@code @DirtiesContext}) and before the containers stop.
 */
@ExtendWith(DockerRequired.class)
@Testcontainers
@ExtendWith(OpenBaoServiceConnectionIntegrationTests.NothingLeftAfterShutdown.class)
@SpringBootTest(properties = "spring.datasource.hikari.maximum-pool-size=8")
@DirtiesContext
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenBaoServiceConnectionIntegrationTests {

	private static final Network network = Network.newNetwork();

	@Container
	@ServiceConnection
	static final PostgreSQLContainer postgres = new PostgreSQLContainer(TestImages.postgres()).withNetwork(network)
		.withNetworkAliases("postgres")
		.withInitScript("items.sql");

	@Container
	@ServiceConnection
	static final OpenBaoContainer openBao = new OpenBaoContainer(TestImages.openBao()).withDatabase(postgres)
		.withTtl(Duration.ofSeconds(4), Duration.ofSeconds(10));

	private static final Set<String> issuedUsers = ConcurrentHashMap.newKeySet();

	@Autowired
	private DataSource dataSource;

	@Autowired
	private ManagedLeases leases;

	@Test
	@Order(1)
	void queriesAsAnIssuedUserNeverAsTheContainerUser() {
		String user = new JdbcTemplate(this.dataSource).queryForObject("SELECT session_user", String.class);
		assertThat(user).startsWith("v-").isNotEqualTo(postgres.getUsername());
		issuedUsers.add(user);
		HikariDataSource pool = (HikariDataSource) this.dataSource;
		assertThat(pool.getJdbcUrl()).isEqualTo(postgres.getJdbcUrl());
		assertThat(pool.getUsername()).isNull();
		assertThat(pool.getPassword()).isNull();
		assertThat(lifecycle().status().role()).isEqualTo("app");
	}

	@Test
	@Order(2)
	void keepsQueryingAcrossRotations() throws InterruptedException {
		LeaseLifecycle lifecycle = lifecycle();
		long rotationsBefore = lifecycle.status().counts().rotations();
		Map<String, AtomicLong> queriesByUser = new ConcurrentHashMap<>();
		Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
		List<Thread> threads = new ArrayList<>();
		long deadline = System.nanoTime() + Duration.ofSeconds(25).toNanos();
		for (int i = 0; i < 8; i++) {
			Thread thread = new Thread(() -> {
				while (System.nanoTime() < deadline) {
					try (Connection connection = this.dataSource.getConnection();
							Statement statement = connection.createStatement();
							ResultSet rows = statement.executeQuery("SELECT session_user, count(*) FROM items")) {
						rows.next();
						queriesByUser.computeIfAbsent(rows.getString(1), (user) -> new AtomicLong()).incrementAndGet();
					}
					catch (SQLException ex) {
						failures.computeIfAbsent(ex.getSQLState() + " " + ex.getMessage(), (key) -> new AtomicLong())
							.incrementAndGet();
					}
				}
			}, "query-" + i);
			threads.add(thread);
			thread.start();
		}
		for (Thread thread : threads) {
			thread.join(Duration.ofSeconds(60).toMillis());
		}
		long rotations = lifecycle.status().counts().rotations() - rotationsBefore;
		System.out.printf("container rotation: queries by user %s, failures %s, rotations %d%n",
				new TreeMap<>(queriesByUser), failures, rotations);
		issuedUsers.addAll(queriesByUser.keySet());
		assertThat(failures).isEmpty();
		assertThat(rotations).isGreaterThanOrEqualTo(2);
		assertThat(queriesByUser.keySet()).hasSizeGreaterThanOrEqualTo(3).allMatch((user) -> user.startsWith("v-"));
	}

	@Test
	@Order(3)
	void holdsOneLeaseWhileRunning() throws SQLException {
		CredentialLease lease = lifecycle().currentLease();
		assertThat(lease).isNotNull();
		issuedUsers.add(lease.username());
		assertThat(openBao.getLeaseIds()).contains(lease.leaseId());
		assertThat(ContainerDatabase.roles(postgres)).contains(lease.username());
	}

	@Test
	@Order(4)
	void revocationEndsSessionsStillOpenUnderTheUser() throws SQLException {
		Answer issued = openBao.api("GET", "database/creds/app", null).expectSuccess("issue credentials");
		String user = issued.body().path("data").path("username").asString();
		try (Connection connection = DriverManager.getConnection(postgres.getJdbcUrl(), user,
				issued.body().path("data").path("password").asString())) {
			assertThat(new JdbcTemplate(new SingleConnectionDataSource(connection, true))
				.queryForObject("SELECT count(*) FROM items", Integer.class)).isEqualTo(3);
			openBao.api("PUT", "sys/leases/revoke", Map.of("lease_id", issued.body().path("lease_id").asString(),
					"sync", true))
				.expectSuccess("revoke the lease while a session is open");
			assertThatExceptionOfType(SQLException.class).isThrownBy(() -> {
				try (Statement statement = connection.createStatement()) {
					statement.execute("SELECT 1");
				}
			});
		}
		assertThat(ContainerDatabase.roles(postgres)).doesNotContain(user);
	}

	private LeaseLifecycle lifecycle() {
		return this.leases.all().get(0);
	}

	/**
	 * After the context closed: OpenBao knows no lease of the role, PostgreSQL no issued user.
	 */
	static class NothingLeftAfterShutdown implements AfterAllCallback {

		@Override
		public void afterAll(ExtensionContext context) throws SQLException {
			assertThat(issuedUsers).as("users seen by the tests").isNotEmpty();
			assertThat(openBao.getLeaseIds()).as("leases left after shutdown").isEmpty();
			assertThat(ContainerDatabase.roles(postgres)).as("issued users left in PostgreSQL after shutdown")
				.doesNotContainAnyElementsOf(issuedUsers)
				.noneMatch((user) -> user.startsWith("v-"));
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

	}

}
