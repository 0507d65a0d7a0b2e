package io.github.vaultdatasource.testcontainers;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import io.github.vaultdatasource.autoconfigure.VaultConnectionDetails;
import io.github.vaultdatasource.autoconfigure.VaultConnectionDetails.Login;
import io.github.vaultdatasource.testcontainers.OpenBaoContainer.Answer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testcontainers.containers.Network;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.postgresql.PostgreSQLContainer;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@link OpenBaoContainer} with AppRole, its own mount, role and statements: the AppRole login may
 * issue credentials from the role and nothing else, issued users expire with the TTL chosen here,
 * and an application logs in with AppRole through the connection details.
 */
@ExtendWith(DockerRequired.class)
@Testcontainers
class OpenBaoContainerIntegrationTests {

	private static final Network network = Network.newNetwork();

	@Container
	static final PostgreSQLContainer postgres = new PostgreSQLContainer(TestImages.postgres()).withNetwork(network)
		.withInitScript("items.sql");

	@Container
	static final OpenBaoContainer openBao = new OpenBaoContainer(TestImages.openBao()).withDatabase(postgres)
		.withDatabaseMount("pg")
		.withDatabaseRole("reader")
		.withTtl(Duration.ofSeconds(30), Duration.ofMinutes(2))
		.withCreationStatements(
				"CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';",
				"GRANT CONNECT ON DATABASE \"test\" TO \"{{name}}\";", "GRANT USAGE ON SCHEMA public TO \"{{name}}\";",
				"GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{{name}}\";")
		.withRevocationStatements("REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM \"{{name}}\";",
				"REVOKE USAGE ON SCHEMA public FROM \"{{name}}\";",
				"REVOKE CONNECT ON DATABASE \"test\" FROM \"{{name}}\";", "DROP ROLE IF EXISTS \"{{name}}\";")
		.withAppRole();

	@Test
	void appRoleMayIssueCredentialsFromTheRoleOnly() throws SQLException {
		String token = appRoleLogin();
		Answer credentials = openBao.apiAs(token, "GET", "pg/creds/reader", null);
		assertThat(credentials.status()).isEqualTo(200);
		assertThat(credentials.body().path("lease_duration").asInt()).isEqualTo(30);
		JsonNode data = credentials.body().path("data");
		try (Connection connection = DriverManager.getConnection(postgres.getJdbcUrl(),
				data.path("username").asString(), data.path("password").asString());
				Statement statement = connection.createStatement()) {
			try (ResultSet rows = statement.executeQuery("SELECT session_user, count(*) FROM items")) {
				rows.next();
				assertThat(rows.getString(1)).startsWith("v-approle-reader-");
				assertThat(rows.getInt(2)).isEqualTo(3);
			}
			// the creation statements given here grant SELECT only
			assertThatExceptionOfType(SQLException.class)
				.isThrownBy(() -> statement.executeUpdate("DELETE FROM items WHERE false"))
				.satisfies((ex) -> assertThat(ex.getSQLState()).isEqualTo("42501"));
		}
		assertThat(openBao.apiAs(token, "GET", "sys/mounts", null).status()).isEqualTo(403);
		assertThat(openBao.api("PUT", "sys/leases/revoke",
				Map.of("lease_id", credentials.body().path("lease_id").asString(), "sync", true))
			.status()).isEqualTo(204);
	}

	@Test
	void applicationLogsInWithAppRole() {
		Login login = OpenBaoContainerConnectionDetailsFactory.login(openBao);
		assertThat(login).isInstanceOf(Login.AppRole.class);
		VaultConnectionDetails details = new VaultConnectionDetails() {

			@Override
			public URI getUri() {
				return URI.create(openBao.getAddress());
			}

			@Override
			public Login getLogin() {
				return login;
			}

			@Override
			public String getDatabaseMount() {
				return openBao.getDatabaseMount();
			}

			@Override
			public String getDatabaseRole() {
				return openBao.getDatabaseRole();
			}

		};
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
					io.github.vaultdatasource.autoconfigure.VaultDataSourceAutoConfiguration.class))
			.withBean(VaultConnectionDetails.class, () -> details)
			.withPropertyValues("spring.datasource.url=" + postgres.getJdbcUrl())
			.run((context) -> {
				assertThat(context).hasNotFailed();
				String user = new JdbcTemplate(context.getBean(javax.sql.DataSource.class))
					.queryForObject("SELECT session_user", String.class);
				assertThat(user).startsWith("v-approle-reader-");
			});
		assertThat(openBao.getLeaseIds()).isEmpty();
	}

	private static String appRoleLogin() {
		Answer login = openBao.apiAs(null, "POST", "auth/approle/login",
				Map.of("role_id", openBao.getAppRoleId(), "secret_id", openBao.getAppRoleSecretId()));
		return login.expectSuccess("log in with AppRole").body().path("auth").path("client_token").asString();
	}

}
