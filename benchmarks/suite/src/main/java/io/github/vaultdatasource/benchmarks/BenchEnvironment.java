package io.github.vaultdatasource.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;


/**
 * The real OpenBao and PostgreSQL that {@code scripts/services.sh up} started, read from its env
 * file: addresses, the root token for set-up, and an administrator connection.
 */
final class BenchEnvironment {

	static final String STATIC_USER = "bench_static";

	private final Map<String, String> values;

	private final Path stateDir;

	private BenchEnvironment(Map<String, String> values, Path stateDir) {
		this.values = values;
		this.stateDir = stateDir;
	}

	static BenchEnvironment load(Path envFile) throws IOException {
		Map<String, String> values = new HashMap<>();
		for (String line : Files.readAllLines(envFile)) {
			String trimmed = line.trim();
			if (trimmed.startsWith("export ")) {
				String assignment = trimmed.substring("export ".length());
				int eq = assignment.indexOf('=');
				values.put(assignment.substring(0, eq), unquote(assignment.substring(eq + 1)));
			}
		}
		return new BenchEnvironment(values, envFile.getParent());
	}

	private static String unquote(String value) {
		// services.sh writes values with printf %q: only plain values are expected here.
		return value.replace("\\", "");
	}

	String vaultAddress() {
		return this.values.get("VAULT_ADDR");
	}

	String rootToken() {
		return this.values.get("VAULT_TOKEN");
	}

	String jdbcUrl() {
		return this.values.get("VDS_JDBC_URL");
	}

	/**
	 * Return the static password of the plain-HikariCP baseline user; a local throwaway value.
	 */
	String staticPassword() {
		return "bench-static-pw";
	}

	/**
	 * Define a Vault database role as {@code services.sh role} does, with the same statements.
	 */
	void createRole(String name, Duration defaultTtl, Duration maxTtl) throws IOException, InterruptedException {
		Path repository = this.stateDir.getParent();
		Path script = Path.of(System.getProperty("bench.repository", repository.toString()), "scripts", "services.sh");
		Process process = new ProcessBuilder("bash", script.toString(), "role", name, BenchSettings.vaultTtl(defaultTtl),
				BenchSettings.vaultTtl(maxTtl))
			.redirectErrorStream(true)
			.start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		if (process.waitFor() != 0) {
			throw new IllegalStateException("services.sh role " + name + " failed: " + output);
		}
	}

	/**
	 * Create (or reset) the static user of the plain-HikariCP baseline, with the same grants as a
	 * Vault-issued user, so both pools run the same query with the same privileges.
	 */
	void createStaticUser() throws SQLException {
		try (Connection connection = adminConnection(); Statement statement = connection.createStatement()) {
			statement.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + STATIC_USER
					+ "') THEN CREATE ROLE " + STATIC_USER + "; END IF; END $$");
			statement.execute("ALTER ROLE " + STATIC_USER + " WITH LOGIN PASSWORD '" + staticPassword() + "'");
			statement.execute("GRANT app_owner TO " + STATIC_USER);
			statement.execute("GRANT CONNECT ON DATABASE " + this.values.get("VDS_DB") + " TO " + STATIC_USER);
			statement.execute("GRANT USAGE ON SCHEMA public TO " + STATIC_USER);
			statement.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + STATIC_USER);
		}
	}

	Connection adminConnection() throws SQLException {
		return DriverManager.getConnection(jdbcUrl(), this.values.get("VDS_PG_ADMIN_USER"),
				this.values.get("VDS_PG_ADMIN_PASSWORD"));
	}

}
