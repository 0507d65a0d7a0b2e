package io.github.vaultdatasource.testcontainers;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * Looks into a PostgreSQL container as its superuser, for checks such as "no issued user left".
 */
public final class ContainerDatabase {

	private ContainerDatabase() {
	}

	/**
	 * Return every role name in the container's PostgreSQL.
	 * @param postgres the container
	 * @return the role names
	 * @throws SQLException if the query fails
	 */
	public static List<String> roles(PostgreSQLContainer postgres) throws SQLException {
		return query(postgres, "SELECT rolname FROM pg_roles");
	}

	/**
	 * Return the first column of every row a query answers.
	 * @param postgres the container
	 * @param sql the query
	 * @return the values, as strings
	 * @throws SQLException if the query fails
	 */
	public static List<String> query(PostgreSQLContainer postgres, String sql) throws SQLException {
		List<String> values = new ArrayList<>();
		try (Connection connection = postgres.createConnection("");
				Statement statement = connection.createStatement();
				ResultSet rows = statement.executeQuery(sql)) {
			while (rows.next()) {
				values.add(rows.getString(1));
			}
		}
		return values;
	}

}
