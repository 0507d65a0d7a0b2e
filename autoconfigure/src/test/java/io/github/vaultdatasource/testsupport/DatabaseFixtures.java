package io.github.vaultdatasource.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the tests of several data sources and of static roles set up on the real PostgreSQL and
 * OpenBao beyond what {@code scripts/services.sh} does: a second database with its own connection
 * in Vault, dynamic roles on it, plain login users in the owner role, and static roles. Every step
 * can run again. The SQL comes from the same templates the scripts and {@code OpenBaoContainer} use.
 */
public final class DatabaseFixtures {

	private final VaultTestEnvironment env;

	public DatabaseFixtures(VaultTestEnvironment env) {
		this.env = env;
	}

	/**
	 * Return the JDBC URL of another database on the same server.
	 * @param database the database
	 * @return the URL
	 */
	public String jdbcUrl(String database) {
		String url = this.env.jdbcUrl();
		return url.substring(0, url.lastIndexOf('/') + 1) + database;
	}

	/**
	 * Create a second application database set up like the scripts' own (the owner role owns an
	 * {@code items} table, only its members connect) and a connection {@code <mount>/config/<database>}
	 * through its own management user, whose password this test chooses.
	 * @param database the database name
	 * @param managementUser the management user Vault logs in as
	 * @param managementPassword its password
	 */
	public void createDatabase(String database, String managementUser, String managementPassword) {
		try (Connection admin = this.env.adminConnection(); Statement statement = admin.createStatement()) {
			try (ResultSet rows = statement
				.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + database + "'")) {
				if (!rows.next()) {
					statement.execute("CREATE DATABASE \"" + database + "\"");
				}
			}
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
		Map<String, String> names = names(database, managementUser);
		try (Connection admin = DriverManager.getConnection(jdbcUrl(database),
				this.env.variable("VDS_PG_ADMIN_USER"), this.env.variable("VDS_PG_ADMIN_PASSWORD"));
				Statement statement = admin.createStatement()) {
			statement.execute("CREATE TABLE IF NOT EXISTS items (id bigserial PRIMARY KEY, name text NOT NULL)");
			statement.execute("INSERT INTO items (name) SELECT n FROM unnest(ARRAY['delta', 'epsilon']) AS n "
					+ "WHERE NOT EXISTS (SELECT FROM items)");
			for (String sql : template("database-setup.sql", names)) {
				statement.execute(sql);
			}
			statement.execute("ALTER TABLE items OWNER TO \"" + names.get("owner_role") + "\"");
			statement.execute("ALTER ROLE \"" + managementUser + "\" WITH PASSWORD '" + managementPassword + "'");
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
		String url = "postgresql://{{username}}:{{password}}@127.0.0.1:" + this.env.variable("VDS_PG_PORT") + "/"
				+ database + "?sslmode=disable";
		Map<String, Object> config = new LinkedHashMap<>();
		config.put("plugin_name", "postgresql-database-plugin");
		config.put("allowed_roles", "*");
		config.put("connection_url", url);
		config.put("username", managementUser);
		config.put("password", managementPassword);
		config.put("password_authentication", "scram-sha-256");
		this.env.expectSuccess(this.env.vault("POST", this.env.mount() + "/config/" + database, config),
				"database connection " + database);
	}

	/**
	 * Define (or redefine) a dynamic role on a database, with the statements of the shared templates.
	 * @param name the role name
	 * @param database the database connection's name
	 * @param defaultTtl its default TTL, such as {@code 4s}
	 * @param maxTtl its max TTL, such as {@code 12s}
	 */
	public void createRole(String name, String database, String defaultTtl, String maxTtl) {
		Map<String, String> names = names(database, this.env.variable("VDS_MGMT_USER"));
		Map<String, Object> role = new LinkedHashMap<>();
		role.put("db_name", database);
		role.put("creation_statements", template("role-creation.sql", names));
		role.put("revocation_statements", template("role-revocation.sql", names));
		role.put("default_ttl", defaultTtl);
		role.put("max_ttl", maxTtl);
		this.env.expectSuccess(this.env.vault("POST", this.env.mount() + "/roles/" + name, role), "role " + name);
	}

	/**
	 * Create (or reset) a plain login user of the application database that, as a member of the
	 * owner role, may query its tables: the kind of user a static role manages, or a pool with fixed
	 * credentials uses.
	 * @param user the user name
	 * @param password its password
	 */
	public void createLoginUser(String user, String password) {
		String owner = this.env.variable("VDS_OWNER_ROLE");
		try (Connection admin = this.env.adminConnection(); Statement statement = admin.createStatement()) {
			statement.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + user
					+ "') THEN CREATE ROLE \"" + user + "\"; END IF; END $$");
			statement.execute("ALTER ROLE \"" + user + "\" WITH LOGIN PASSWORD '" + password + "'");
			statement.execute("GRANT \"" + owner + "\" TO \"" + user + "\"");
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Drop a login user, ending its sessions first; ignores whether it exists.
	 * @param user the user name
	 */
	public void dropLoginUser(String user) {
		try (Connection admin = this.env.adminConnection(); Statement statement = admin.createStatement()) {
			statement.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + user + "'");
			statement.execute("DROP ROLE IF EXISTS \"" + user + "\"");
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Define a static role: Vault manages the password of an existing user and rotates it every
	 * {@code rotationPeriod} (and once at once, on creation).
	 * @param name the role name
	 * @param user the database user
	 * @param rotationPeriod the rotation period, such as {@code 5s} (OpenBao's minimum)
	 */
	public void createStaticRole(String name, String user, String rotationPeriod) {
		this.env.expectSuccess(this.env.vault("POST", this.env.mount() + "/static-roles/" + name,
				Map.of("db_name", this.env.variable("VDS_DB"), "username", user, "rotation_period", rotationPeriod)),
				"static role " + name);
	}

	/**
	 * Delete a static role; Vault leaves its user alone. Ignores whether it exists.
	 * @param name the role name
	 */
	public void deleteStaticRole(String name) {
		this.env.vault("DELETE", this.env.mount() + "/static-roles/" + name, null);
	}

	/**
	 * Return the sessions open in PostgreSQL, each as user, database and when it logged in.
	 * @return the sessions of client backends
	 */
	public List<Session> sessions() {
		List<Session> sessions = new ArrayList<>();
		try (Connection admin = this.env.adminConnection();
				PreparedStatement statement = admin.prepareStatement("SELECT usename, datname, backend_start "
						+ "FROM pg_stat_activity WHERE backend_type = 'client backend' AND usename IS NOT NULL");
				ResultSet rows = statement.executeQuery()) {
			while (rows.next()) {
				sessions.add(new Session(rows.getString(1), rows.getString(2), rows.getTimestamp(3)));
			}
		}
		catch (SQLException ex) {
			throw new IllegalStateException(ex);
		}
		return sessions;
	}

	/**
	 * Return whether PostgreSQL accepts a login.
	 * @param user the user
	 * @param password the password
	 * @return whether a connection opened
	 */
	public boolean acceptsLogin(String user, String password) {
		try (Connection connection = DriverManager.getConnection(this.env.jdbcUrl(), user, password)) {
			return true;
		}
		catch (SQLException ex) {
			if ("28P01".equals(ex.getSQLState())) {
				return false;
			}
			throw new IllegalStateException(ex);
		}
	}

	private Map<String, String> names(String database, String managementUser) {
		return Map.of("database", database, "owner_role", this.env.variable("VDS_OWNER_ROLE"), "management_user",
				managementUser, "admin_user", this.env.variable("VDS_PG_ADMIN_USER"));
	}

	private List<String> template(String file, Map<String, String> names) {
		Path path = this.env.repository()
			.resolve("testcontainers/src/main/resources/io/github/vaultdatasource/testcontainers/postgresql")
			.resolve(file);
		List<String> statements = new ArrayList<>();
		try {
			for (String line : Files.readAllLines(path)) {
				if (line.isBlank() || line.trim().startsWith("--")) {
					continue;
				}
				String statement = line;
				for (Map.Entry<String, String> name : names.entrySet()) {
					statement = statement.replace("@" + name.getKey() + "@", name.getValue());
				}
				statements.add(statement);
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		return statements;
	}

	/**
	 * A PostgreSQL session.
	 *
	 * @param user the user it logged in as
	 * @param database the database
	 * @param started when it logged in
	 */
	public record Session(String user, String database, Timestamp started) {

	}

}
