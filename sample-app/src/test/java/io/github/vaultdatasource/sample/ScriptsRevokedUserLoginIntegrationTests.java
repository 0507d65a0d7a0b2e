package io.github.vaultdatasource.sample;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;

import io.github.vaultdatasource.testcontainers.RevokedUserLoginChecks;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment.VaultAnswer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link RevokedUserLoginChecks} against the OpenBao and PostgreSQL of {@code scripts/services.sh},
 * which the demo and this app's other integration tests use: the database as its {@code up} sets
 * it up, a role as its {@code role} command defines one.
 */
class ScriptsRevokedUserLoginIntegrationTests extends RevokedUserLoginChecks {

	private static final VaultTestEnvironment env = VaultTestEnvironment.get();

	private static final String ROLE = VaultTestEnvironment.uniqueName("rvk").substring(0, 8);

	@BeforeAll
	static void createRole() {
		env.createRole(ROLE, "1m", "5m");
	}

	@AfterAll
	static void deleteRole() {
		env.deleteRole(ROLE);
	}

	@Override
	protected Issued issue() {
		VaultAnswer answer = env.expectSuccess(env.vault("GET", env.mount() + "/creds/" + ROLE, null),
				"credentials of " + ROLE);
		return new Issued((String) answer.data().get("username"), (String) answer.data().get("password"),
				(String) answer.body().get("lease_id"));
	}

	@Override
	protected void revoke(String leaseId) {
		env.expectSuccess(env.vault("PUT", "sys/leases/revoke", Map.of("lease_id", leaseId, "sync", true)),
				"revocation");
	}

	@Override
	protected Connection adminConnection() throws SQLException {
		return env.adminConnection();
	}

	@Override
	protected String jdbcUrl() {
		return env.jdbcUrl();
	}

	@Override
	protected String database() {
		return env.variable("VDS_DB");
	}

	@Override
	protected String ownerRole() {
		return env.variable("VDS_OWNER_ROLE");
	}

	@Override
	protected String managementUser() {
		return env.variable("VDS_MGMT_USER");
	}

}
