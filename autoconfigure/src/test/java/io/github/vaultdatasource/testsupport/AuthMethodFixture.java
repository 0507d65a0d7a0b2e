package io.github.vaultdatasource.testsupport;

import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.lease.ManagedLeases;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a test of one Vault login method needs on the real OpenBao: a database role of its own, a
 * policy of the same name that may read its credentials and renew and revoke leases, and the auth
 * method mounted at a path of its own. {@link #close()} removes all three (disabling the mount
 * revokes the tokens it issued).
 */
public final class AuthMethodFixture implements AutoCloseable {

	private final VaultTestEnvironment environment;

	private final String role;

	private final String path;

	private AuthMethodFixture(VaultTestEnvironment environment, String role, String path) {
		this.environment = environment;
		this.role = role;
		this.path = path;
	}

	/**
	 * Create a role and its policy, both named {@code <rolePrefix>-<random>}, and mount an auth
	 * method of {@code type} at {@code <type>-<random>}.
	 * @param environment the test environment
	 * @param rolePrefix the prefix of the role's name
	 * @param type the auth method type, such as {@code approle}, {@code jwt} or {@code kubernetes}
	 * @return the fixture
	 */
	public static AuthMethodFixture mount(VaultTestEnvironment environment, String rolePrefix, String type) {
		AuthMethodFixture fixture = new AuthMethodFixture(environment, VaultTestEnvironment.uniqueName(rolePrefix),
				VaultTestEnvironment.uniqueName(type));
		environment.createRole(fixture.role, "1m", "5m");
		environment.createPolicy(fixture.role, """
				path "%s/creds/%s" { capabilities = ["read"] }
				path "sys/leases/*" { capabilities = ["update"] }
				""".formatted(environment.mount(), fixture.role));
		environment.enableAuth(fixture.path, type);
		return fixture;
	}

	/**
	 * Return the name of the database role, which is also the name of its policy.
	 * @return the role
	 */
	public String role() {
		return this.role;
	}

	/**
	 * Return the auth method's mount path.
	 * @return the path, such as {@code approle-x2k9}
	 */
	public String path() {
		return this.path;
	}

	/**
	 * Write to the auth method's configuration, failing unless Vault accepts it.
	 * @param subPath the path below the mount, such as {@code config} or {@code role/app}
	 * @param body the request body
	 * @return the {@code data} of Vault's answer
	 */
	public Map<String, Object> write(String subPath, Map<String, ?> body) {
		return this.environment
			.expectSuccess(this.environment.vault("POST", "auth/" + this.path + "/" + subPath, body),
					"auth/" + this.path + "/" + subPath)
			.data();
	}

	/**
	 * Read from the auth method, failing unless Vault answers.
	 * @param subPath the path below the mount, such as {@code role/app/role-id}
	 * @return the {@code data} of Vault's answer
	 */
	public Map<String, Object> read(String subPath) {
		return this.environment
			.expectSuccess(this.environment.vault("GET", "auth/" + this.path + "/" + subPath, null),
					"auth/" + this.path + "/" + subPath)
			.data();
	}

	/**
	 * Start the application, check that its pool serves as the user of its current lease, whose
	 * name begins with {@code userPrefix}, and after it stopped that the user is dropped and the
	 * lease revoked.
	 * @param runner the application, configured to log in with this auth method
	 * @param userPrefix how the issued user's name begins: OpenBao derives it from the login
	 * token's display name, which comes from the auth mount path
	 */
	public void assertServesAsAnIssuedUserAndRevokesItOnShutdown(ApplicationContextRunner runner, String userPrefix) {
		AtomicReference<CredentialLease> served = new AtomicReference<>();
		runner.run((context) -> {
			assertThat(context).hasNotFailed();
			String currentUser = new JdbcTemplate(context.getBean(DataSource.class))
				.queryForObject("SELECT current_user", String.class);
			assertThat(currentUser).startsWith(userPrefix);
			CredentialLease lease = context.getBean(ManagedLeases.class).all().get(0).currentLease();
			assertThat(lease).isNotNull();
			assertThat(lease.username()).isEqualTo(currentUser);
			served.set(lease);
		});
		assertThat(this.environment.databaseRoles("v-")).doesNotContain(served.get().username());
		assertThat(this.environment.leaseKnown(served.get().leaseId())).isFalse();
	}

	@Override
	public void close() {
		this.environment.disableAuth(this.path);
		this.environment.deletePolicy(this.role);
		this.environment.deleteRole(this.role);
	}

}
