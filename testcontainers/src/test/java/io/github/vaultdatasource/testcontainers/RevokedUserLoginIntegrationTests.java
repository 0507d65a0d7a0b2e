package io.github.vaultdatasource.testcontainers;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;

import io.github.vaultdatasource.testcontainers.OpenBaoContainer.Answer;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.postgresql.PostgreSQLContainer;
import tools.jackson.databind.JsonNode;

/**
 * {@link RevokedUserLoginChecks} against the containers: the database as
 * {@link OpenBaoContainer} sets it up, the role with {@code withOwnerSession()}.
 */
@ExtendWith(DockerRequired.class)
@Testcontainers
class RevokedUserLoginIntegrationTests extends RevokedUserLoginChecks {

	@Container
	static final PostgreSQLContainer postgres = new PostgreSQLContainer(TestImages.postgres()).withInitScript("items.sql");

	@Container
	static final OpenBaoContainer openBao = new OpenBaoContainer(TestImages.openBao()).withDatabase(postgres)
		.withOwnerSession();

	@Override
	protected Issued issue() {
		Answer answer = openBao.api("GET", openBao.getDatabaseMount() + "/creds/" + openBao.getDatabaseRole(), null)
			.expectSuccess("issue credentials");
		JsonNode data = answer.body().path("data");
		return new Issued(data.path("username").asString(), data.path("password").asString(),
				answer.body().path("lease_id").asString());
	}

	@Override
	protected void revoke(String leaseId) {
		openBao.api("PUT", "sys/leases/revoke", Map.of("lease_id", leaseId, "sync", true)).expectSuccess("revoke");
	}

	@Override
	protected Connection adminConnection() throws SQLException {
		return postgres.createConnection("");
	}

	@Override
	protected String jdbcUrl() {
		return postgres.getJdbcUrl();
	}

	@Override
	protected String database() {
		return postgres.getDatabaseName();
	}

	@Override
	protected String ownerRole() {
		return openBao.getOwnerRole();
	}

	@Override
	protected String managementUser() {
		return openBao.getManagementUser();
	}

}
