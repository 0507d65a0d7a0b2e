package io.github.vaultdatasource.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The extra real servers of the production-Vault tests, started and stopped by the repository's
 * scripts ({@code scripts/vault-tls.sh}, {@code scripts/vault-raft.sh},
 * {@code scripts/kubernetes.sh}): {@link #up(String, Duration)} starts what is not running and reads
 * the environment file the script writes; {@link #down(String)} stops only what that {@code up}
 * started, so servers a developer left running stay up.
 */
public final class ScriptedServers {

	private final VaultTestEnvironment environment;

	private final String script;

	private final Path envFile;

	private ScriptedServers(VaultTestEnvironment environment, String script, Path envFile) {
		this.environment = environment;
		this.script = script;
		this.envFile = envFile;
	}

	/**
	 * Start the servers of a script and return them.
	 * @param script the script under {@code scripts/}, such as {@code vault-raft.sh}
	 * @param envFile the environment file it writes, relative to the state directory, such as
	 * {@code raft/env}
	 * @param timeout how long {@code up} may take
	 * @return the running servers
	 */
	public static ScriptedServers up(String script, String envFile, Duration timeout) {
		VaultTestEnvironment environment = VaultTestEnvironment.get();
		ScriptedServers servers = new ScriptedServers(environment, script,
				Path.of(environment.variable("VDS_STATE_DIR")).resolve(envFile));
		servers.run(timeout, "up");
		return servers;
	}

	/**
	 * Run a command of the script, failing on a non-zero exit.
	 * @param timeout how long it may take
	 * @param arguments the command and its arguments, such as {@code kill 2}
	 * @return what it printed on standard output
	 */
	public String run(Duration timeout, String... arguments) {
		List<String> command = new ArrayList<>(List.of("bash", "scripts/" + this.script));
		command.addAll(List.of(arguments));
		try {
			Path log = Files.createTempFile("vds-" + this.script, ".log");
			ProcessBuilder builder = new ProcessBuilder(command).directory(this.environment.repository().toFile())
				.redirectError(log.toFile());
			// The scripts find the worktree's PostgreSQL and OpenBao by these ports.
			Map<String, String> env = builder.environment();
			env.put("VDS_PG_PORT", this.environment.variable("VDS_PG_PORT"));
			env.put("VDS_BAO_PORT", this.environment.variable("VDS_BAO_PORT"));
			env.put("VDS_STATE_DIR", this.environment.variable("VDS_STATE_DIR"));
			Process process = builder.start();
			String output = new String(process.getInputStream().readAllBytes()).trim();
			if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
				process.destroyForcibly();
				throw new IllegalStateException(String.join(" ", command) + " took longer than " + timeout + ":\n"
						+ Files.readString(log));
			}
			if (process.exitValue() != 0) {
				throw new IllegalStateException(String.join(" ", command) + " failed:\n" + Files.readString(log));
			}
			Files.deleteIfExists(log);
			return output;
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Return the variables of the script's environment file.
	 * @return the variables
	 */
	public Map<String, String> variables() {
		Map<String, String> values = new HashMap<>();
		try {
			for (String line : Files.readAllLines(this.envFile)) {
				String trimmed = line.trim();
				if (trimmed.startsWith("export ")) {
					String assignment = trimmed.substring("export ".length());
					int eq = assignment.indexOf('=');
					values.put(assignment.substring(0, eq), unquote(assignment.substring(eq + 1)));
				}
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException("No " + this.envFile + ": did " + this.script + " up run?", ex);
		}
		return values;
	}

	/**
	 * Return one variable of the script's environment file.
	 * @param name the variable
	 * @return its value
	 */
	public String variable(String name) {
		String value = variables().get(name);
		if (value == null) {
			throw new IllegalStateException(name + " is not in " + this.envFile);
		}
		return value;
	}

	/**
	 * Stop what this script's {@code up} started.
	 */
	public void down() {
		run(Duration.ofMinutes(2), "down", "--started");
	}

	// printf %q quotes only what needs it; these values (paths, URLs, tokens) have no spaces.
	private static String unquote(String value) {
		if (value.length() >= 2 && value.startsWith("'") && value.endsWith("'")) {
			return value.substring(1, value.length() - 1);
		}
		return value.replace("\\", "");
	}

}
