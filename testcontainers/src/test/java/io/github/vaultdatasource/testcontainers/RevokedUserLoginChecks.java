package io.github.vaultdatasource.testcontainers;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A revoked user cannot log in: checks run against a real OpenBao and PostgreSQL set up with the
 * owner-role statements, by {@link OpenBaoContainer} and by {@code scripts/services.sh} (one
 * subclass each).
 * <p>
 * What "revoked" has to cover for these checks to be able to fail: OpenBao runs a role's
 * revocation statements in one transaction, so a login sees the user either whole or dropped, and
 * a dropped user's login fails on its password whatever the database's {@code CONNECT} privilege
 * says. {@link #aUserWhoseLeaseWasRevokedCannotLogIn()} therefore passes even where
 * {@code PUBLIC} may connect; it pins what the revocation statements do. The right to connect
 * decides for a user that still exists without the owner role — one an operator locked out by
 * taking its membership away because OpenBao can no longer revoke it (a dev server restarted and
 * lost its leases; a revocation failing on an object the user owns) — and for every other login
 * role of the server. While {@code PUBLIC} holds {@code CONNECT}, PostgreSQL's default for a new
 * database, both log in and {@link #aUserThatLeftTheOwnerRoleCannotLogIn()} and
 * {@link #aLoginRoleOutsideTheOwnerRoleCannotConnect()} fail: the set-up revokes it from
 * {@code PUBLIC} and grants it to the owner role, the management user and the administrator.
 * <p>
 * Out of reach of any statement: a login that got in after the revocation's
 * {@code pg_terminate_backend} and before its commit keeps its session.
 */
public abstract class RevokedUserLoginChecks {

	/**
	 * Issue credentials from the role under test.
	 * @return the credentials and their lease
	 */
	protected abstract Issued issue();

	/**
	 * Revoke a lease the way vault-datasource does ({@code sys/leases/revoke}, {@code sync=true}).
	 * @param leaseId the lease id
	 */
	protected abstract void revoke(String leaseId);

	/**
	 * Open a connection to the application database as the administrator (a superuser).
	 * @return the connection
	 * @throws SQLException if the login fails
	 */
	protected abstract Connection adminConnection() throws SQLException;

	/**
	 * Return the JDBC URL of the application database.
	 * @return the URL
	 */
	protected abstract String jdbcUrl();

	/**
	 * Return the name of the application database.
	 * @return the name
	 */
	protected abstract String database();

	/**
	 * Return the owner role issued users join.
	 * @return the role name
	 */
	protected abstract String ownerRole();

	/**
	 * Return the user OpenBao manages users with.
	 * @return the user name
	 */
	protected abstract String managementUser();

	@Test
	void aUserWhoseLeaseWasRevokedCannotLogIn() throws SQLException {
		Issued issued = issue();
		try (Connection open = login(issued.username(), issued.password())) {
			assertThat(sessionUser(open)).isEqualTo(issued.username());
			revoke(issued.leaseId());
			assertThatExceptionOfType(SQLException.class).as("a session still open under the revoked user")
				.isThrownBy(() -> sessionUser(open));
		}
		assertLoginRefused(issued.username(), issued.password(), "28P01");
		assertThat(roleExists(issued.username())).as("revoked user still in pg_roles").isFalse();
	}

	@Test
	void aUserThatLeftTheOwnerRoleCannotLogIn() throws SQLException {
		Issued issued = issue();
		try {
			try (Connection connection = login(issued.username(), issued.password())) {
				assertThat(sessionUser(connection)).isEqualTo(issued.username());
			}
			admin("REVOKE \"" + ownerRole() + "\" FROM \"" + issued.username() + "\"");
			assertThat(roleExists(issued.username())).isTrue();
			assertLoginRefused(issued.username(), issued.password(), "42501");
		}
		finally {
			revoke(issued.leaseId());
		}
	}

	@Test
	void aLoginRoleOutsideTheOwnerRoleCannotConnect() throws SQLException {
		String role = "outsider_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
		String password = UUID.randomUUID().toString();
		admin("CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'");
		try {
			assertLoginRefused(role, password, "42501");
		}
		finally {
			admin("DROP ROLE " + role);
		}
		assertThat(mayConnect("public")).as("PUBLIC may connect").isFalse();
		assertThat(mayConnect(ownerRole())).as("the owner role may connect").isTrue();
		assertThat(mayConnect(managementUser())).as("the management user may connect").isTrue();
		try (Connection admin = adminConnection()) {
			assertThat(admin.isValid(5)).as("the administrator connects").isTrue();
		}
	}

	private Connection login(String username, String password) throws SQLException {
		return DriverManager.getConnection(jdbcUrl(), username, password);
	}

	private void assertLoginRefused(String username, String password, String sqlState) {
		assertThatExceptionOfType(SQLException.class).as("login of %s", username)
			.isThrownBy(() -> login(username, password).close())
			.satisfies((ex) -> assertThat(ex.getSQLState()).as(ex.getMessage()).isEqualTo(sqlState));
	}

	private static String sessionUser(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement();
				ResultSet rows = statement.executeQuery("SELECT session_user")) {
			rows.next();
			return rows.getString(1);
		}
	}

	private void admin(String sql) throws SQLException {
		try (Connection connection = adminConnection(); Statement statement = connection.createStatement()) {
			statement.execute(sql);
		}
	}

	private boolean roleExists(String role) throws SQLException {
		return adminQuery("SELECT count(*) = 1 FROM pg_roles WHERE rolname = ?", role);
	}

	private boolean mayConnect(String role) throws SQLException {
		return adminQuery("SELECT has_database_privilege(?, '" + database() + "', 'CONNECT')", role);
	}

	private boolean adminQuery(String sql, String parameter) throws SQLException {
		try (Connection connection = adminConnection(); PreparedStatement statement = connection.prepareStatement(sql)) {
			statement.setString(1, parameter);
			try (ResultSet rows = statement.executeQuery()) {
				rows.next();
				return rows.getBoolean(1);
			}
		}
	}

	/**
	 * Credentials issued from the role.
	 *
	 * @param username the user
	 * @param password its password
	 * @param leaseId the full lease id
	 */
	public record Issued(String username, String password, String leaseId) {

		@Override
		public String toString() {
			return "Issued[" + this.username + "]";
		}

	}

}
