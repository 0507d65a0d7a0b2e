package io.github.vaultdatasource.autoconfigure;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests for {@link VaultDataSourceAutoConfiguration} with token authentication against
 * the real OpenBao and PostgreSQL.
 */
class VaultDataSourceIntegrationTests {

	private final VaultTestEnvironment environment = VaultTestEnvironment.get();

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(DataSourceAutoConfiguration.class, VaultDataSourceAutoConfiguration.class))
		.withPropertyValues("spring.datasource.url=" + this.environment.jdbcUrl(),
				"vault.uri=" + this.environment.vaultAddress(), "vault.token=" + this.environment.rootToken());

	private String role;

	@BeforeEach
	void createRole() {
		// TTLs long enough that no rotation happens while a test looks at the first credentials.
		this.role = VaultTestEnvironment.uniqueName("it-token");
		this.environment.createRole(this.role, "1m", "5m");
	}

	@AfterEach
	void deleteRole() {
		this.environment.deleteRole(this.role);
	}

	@Test
	void dataSourceConnectsAsVaultIssuedUser() {
		this.contextRunner.withPropertyValues("vault.database.role=" + this.role).run((context) -> {
			assertThat(context).hasNotFailed();
			DataSource dataSource = context.getBean(DataSource.class);
			assertThat(dataSource).isInstanceOf(HikariDataSource.class);
			assertThat(currentUser(dataSource)).startsWith("v-token-" + truncate(this.role, 8) + "-");
			assertThat(countItems(dataSource)).isPositive();
		});
	}

	@Test
	void hikariPropertiesStillApply() {
		this.contextRunner
			.withPropertyValues("vault.database.role=" + this.role, "spring.datasource.hikari.maximum-pool-size=3",
					"spring.datasource.hikari.pool-name=vds-it-pool")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				HikariDataSource dataSource = context.getBean(HikariDataSource.class);
				assertThat(dataSource.getMaximumPoolSize()).isEqualTo(3);
				assertThat(dataSource.getPoolName()).isEqualTo("vds-it-pool");
				assertThat(currentUser(dataSource)).startsWith("v-token-");
				assertThat(dataSource.getHikariPoolMXBean().getTotalConnections()).isLessThanOrEqualTo(3);
			});
	}

	@Test
	void staticUsernameAndPasswordAreNotUsed() {
		String adminUser = this.environment.variable("VDS_PG_ADMIN_USER");
		this.contextRunner
			.withPropertyValues("vault.database.role=" + this.role, "spring.datasource.username=" + adminUser,
					"spring.datasource.password=" + this.environment.variable("VDS_PG_ADMIN_PASSWORD"))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				HikariDataSource dataSource = context.getBean(HikariDataSource.class);
				String currentUser = currentUser(dataSource);
				assertThat(currentUser).startsWith("v-token-").isNotEqualTo(adminUser);
				assertThat(dataSource.getUsername()).isNull();
				assertThat(dataSource.getPassword()).isNull();
			});
	}

	@Test
	void closingTheContextRevokesTheLeaseAndDropsTheDatabaseUser() {
		AtomicReference<String> leaseId = new AtomicReference<>();
		AtomicReference<String> username = new AtomicReference<>();
		this.contextRunner.withPropertyValues("vault.database.role=" + this.role).run((context) -> {
			assertThat(context).hasNotFailed();
			String currentUser = currentUser(context.getBean(DataSource.class));
			CredentialLease lease = context.getBean(ManagedLeases.class).all().get(0).currentLease();
			assertThat(lease).isNotNull();
			assertThat(lease.username()).isEqualTo(currentUser);
			leaseId.set(lease.leaseId());
			username.set(currentUser);
			assertThat(this.environment.leaseKnown(lease.leaseId())).isTrue();
			assertThat(this.environment.databaseRoles("v-")).contains(currentUser);
		});
		assertThat(this.environment.databaseRoles("v-")).doesNotContain(username.get());
		assertThat(this.environment.leaseKnown(leaseId.get())).isFalse();
	}

	static String currentUser(DataSource dataSource) throws SQLException {
		try (Connection connection = dataSource.getConnection();
				Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT current_user")) {
			assertThat(result.next()).isTrue();
			return result.getString(1);
		}
	}

	private static long countItems(DataSource dataSource) throws SQLException {
		try (Connection connection = dataSource.getConnection();
				Statement statement = connection.createStatement();
				ResultSet result = statement.executeQuery("SELECT count(*) FROM items")) {
			assertThat(result.next()).isTrue();
			return result.getLong(1);
		}
	}

	private static String truncate(String value, int length) {
		// The PostgreSQL plugin's username template keeps the first 8 characters of the role name.
		return (value.length() > length) ? value.substring(0, length) : value;
	}

}
