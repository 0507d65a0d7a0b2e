package io.github.vaultdatasource.testcontainers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The SQL templates as {@link OwnerRoleStatements} fills them in, and as
 * {@code scripts/services.sh} does from the same files.
 */
class OwnerRoleStatementsTests {

	private final OwnerRoleStatements statements = new OwnerRoleStatements("appdb", "app_owner", "vault_mgmt",
			"vds_admin");

	@Test
	void creationMakesAMemberOfTheOwnerRoleAndGrantsNothingElse() {
		assertThat(this.statements.creation(false)).containsExactly(
				"CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' "
						+ "IN ROLE \"app_owner\";");
	}

	@Test
	void ownerSessionAddsTheSessionRole() {
		assertThat(this.statements.creation(true)).hasSize(2)
			.last()
			.isEqualTo("ALTER ROLE \"{{name}}\" SET role = 'app_owner';");
	}

	@Test
	void revocationDropsThenEndsSessions() {
		assertThat(this.statements.revocation()).containsExactly(
				"SELECT set_config('vault_datasource.revoked_user', oid::text, true) FROM pg_roles "
						+ "WHERE rolname = '{{name}}';",
				"DROP ROLE IF EXISTS \"{{name}}\";", "SET LOCAL ROLE pg_signal_backend;",
				"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
						+ "WHERE usesysid = NULLIF(current_setting('vault_datasource.revoked_user', true), '')::oid;");
	}

	@Test
	void setUpClosesTheDatabaseToPublic() {
		List<String> setUp = this.statements.setUpStatements();
		assertThat(setUp).contains("REVOKE CONNECT ON DATABASE \"appdb\" FROM PUBLIC;",
				"GRANT CONNECT ON DATABASE \"appdb\" TO \"app_owner\";",
				"GRANT CONNECT ON DATABASE \"appdb\" TO \"vault_mgmt\" WITH GRANT OPTION;",
				"GRANT CONNECT ON DATABASE \"appdb\" TO \"vds_admin\";");
		assertThat(setUp).noneMatch((line) -> line.startsWith("--") || line.matches(".*@[a-z_]+@.*"));
	}

	@Test
	void namesThatNeedEscapingAreRefused() {
		assertThatIllegalArgumentException().isThrownBy(() -> new OwnerRoleStatements("appdb", "o\"wner", "m", "a"))
			.withMessageContaining("o\"wner");
		assertThatIllegalArgumentException().isThrownBy(() -> new OwnerRoleStatements("app db", "o", "m", "a"));
	}

	@Test
	void servicesScriptFillsInTheSameStatements() throws Exception {
		assertThat(servicesScript("role-creation.sql")).isEqualTo(this.statements.creation(false));
		assertThat(servicesScript("role-revocation.sql")).isEqualTo(this.statements.revocation());
		assertThat(servicesScript("database-setup.sql")).isEqualTo(this.statements.setUpStatements());
	}

	private static List<String> servicesScript(String template) throws IOException, InterruptedException {
		Path script = Path.of("").toAbsolutePath().getParent().resolve("scripts/services.sh");
		assertThat(script).exists();
		// $0 is not the script: services.sh runs its main() when $0 names it.
		Process process = new ProcessBuilder("bash", "-c", "source \"$1\" && sql_template \"$2\"", "bash",
				script.toString(), template)
			.redirectError(ProcessBuilder.Redirect.INHERIT)
			.start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
		assertThat(process.exitValue()).as("services.sh sql_template %s", template).isZero();
		return output.lines().toList();
	}

}
