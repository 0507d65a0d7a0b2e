package io.github.vaultdatasource.testcontainers;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PostgreSQL side of the owner-role pattern, read from the SQL templates in
 * {@code io/github/vaultdatasource/testcontainers/postgresql/} that {@code scripts/services.sh}
 * reads too: the set-up of the database (owner role, management user, who may connect), and the
 * creation and revocation statements of the Vault role. The templates hold one statement per line;
 * {@code @name@} placeholders are filled in here, {@code {{name}}} ones by OpenBao.
 */
final class OwnerRoleStatements {

	private static final Pattern PLACEHOLDER = Pattern.compile("@([a-z_]+)@");

	private final Map<String, String> names;

	/**
	 * Create the statements for given names.
	 * @param database the application database
	 * @param ownerRole the role issued users join
	 * @param managementUser the user OpenBao logs in as
	 * @param adminUser the superuser that runs the set-up and must keep connecting
	 */
	OwnerRoleStatements(String database, String ownerRole, String managementUser, String adminUser) {
		this.names = Map.of("database", identifier(database), "owner_role", identifier(ownerRole),
				"management_user", identifier(managementUser), "admin_user", identifier(adminUser));
	}

	/**
	 * Prepare the database: run the set-up template, then give the management user a password
	 * (OpenBao rotates it right after).
	 * @param connection a superuser's connection to the application database
	 * @param managementPassword the management user's first password
	 * @throws SQLException if a statement fails
	 */
	void setUp(Connection connection, String managementPassword) throws SQLException {
		try (Statement statement = connection.createStatement()) {
			for (String sql : setUpStatements()) {
				statement.execute(sql);
			}
			statement.execute("ALTER ROLE \"" + this.names.get("management_user") + "\" WITH PASSWORD '"
					+ managementPassword.replace("'", "''") + "'");
		}
	}

	/**
	 * Return the set-up statements {@link #setUp} runs, before the management user's password.
	 * @return the statements
	 */
	List<String> setUpStatements() {
		return template("database-setup.sql");
	}

	/**
	 * Return the role's creation statements.
	 * @param ownerSession whether the user's sessions act as the owner role
	 * @return the statements, for OpenBao to fill in
	 */
	List<String> creation(boolean ownerSession) {
		List<String> statements = new ArrayList<>(template("role-creation.sql"));
		if (ownerSession) {
			statements.addAll(template("role-owner-session.sql"));
		}
		return statements;
	}

	/**
	 * Return the role's revocation statements.
	 * @return the statements, for OpenBao to fill in
	 */
	List<String> revocation() {
		return template("role-revocation.sql");
	}

	private List<String> template(String name) {
		List<String> statements = new ArrayList<>();
		for (String line : read(name).split("\n")) {
			String trimmed = line.strip();
			if (!trimmed.isEmpty() && !trimmed.startsWith("--")) {
				statements.add(fillIn(trimmed, name));
			}
		}
		return statements;
	}

	private String fillIn(String line, String template) {
		Matcher matcher = PLACEHOLDER.matcher(line);
		StringBuilder filled = new StringBuilder();
		while (matcher.find()) {
			String value = this.names.get(matcher.group(1));
			if (value == null) {
				throw new IllegalStateException("Unknown placeholder " + matcher.group() + " in " + template);
			}
			matcher.appendReplacement(filled, Matcher.quoteReplacement(value));
		}
		return matcher.appendTail(filled).toString();
	}

	private static String read(String name) {
		String resource = "postgresql/" + name;
		try (InputStream in = OwnerRoleStatements.class.getResourceAsStream(resource)) {
			if (in == null) {
				throw new IllegalStateException("Missing resource " + resource + " next to "
						+ OwnerRoleStatements.class.getName());
			}
			return new String(in.readAllBytes(), StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new IllegalStateException("Could not read " + resource + ": " + ex.getMessage(), ex);
		}
	}

	/**
	 * Names go into SQL unescaped, quoted as identifiers and as literals: accept only those
	 * that need no escaping in either.
	 */
	static String identifier(String name) {
		if (!name.matches("[A-Za-z0-9_-]+")) {
			throw new IllegalArgumentException("Unsupported PostgreSQL identifier '" + name
					+ "': use letters, digits, '_' and '-' only");
		}
		return name;
	}

}
