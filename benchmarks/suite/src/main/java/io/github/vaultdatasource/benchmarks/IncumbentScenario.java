package io.github.vaultdatasource.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.github.vaultdatasource.benchmarks.ConnectionSampler.Snapshot;
import io.github.vaultdatasource.benchmarks.VaultRequestCounter.Request;
import io.github.vaultdatasource.benchmarks.load.Samples;

import static io.github.vaultdatasource.benchmarks.Report.f;
import static io.github.vaultdatasource.benchmarks.SuiteContext.progress;
import static io.github.vaultdatasource.benchmarks.SuiteContext.vaultTtl;

/**
 * The incumbents, each in its own JVM under the same load, on roles whose {@code max_ttl} the run
 * crosses: Spring Cloud Vault as documented, and the two patterns of HashiCorp's tutorial
 * "Reload HashiCorp Vault secrets in Spring applications" (refresh scope, delegate swap).
 */
final class IncumbentScenario {

	private static final String PACKAGE = "io.github.vaultdatasource.benchmarks.incumbent.";

	private static final Map<String, App> APPS = Map.of(
			"spring-cloud-vault", new App("Spring Cloud Vault", "scv",
					PACKAGE + "springcloudvault.SpringCloudVaultApplication", List.of()),
			"refresh-scope", new App("tutorial refresh scope", "refresh",
					PACKAGE + "refreshscope.RefreshScopeApplication", List.of()),
			// The tutorial's own setting for this variant (it was written for a native image).
			"delegate-swap", new App("tutorial delegate swap", "swap", PACKAGE + "delegateswap.DelegateSwapApplication",
					List.of("--spring.cloud.refresh.enabled=false")));

	private final SuiteContext suite;

	IncumbentScenario(SuiteContext suite) {
		this.suite = suite;
	}

	void run() throws Exception {
		BenchSettings settings = this.suite.settings();
		int workers = settings.integer("rotation.workers", 32);
		String apps = settings.string("incumbent.apps", "spring-cloud-vault,refresh-scope,delegate-swap");
		String variants = settings.string("incumbent.variants", "4s/12s/36s,3s/6s/20s");
		for (String name : apps.split(",")) {
			App app = APPS.get(name.trim());
			if (app == null) {
				throw new IllegalArgumentException("Unknown incumbent " + name + "; known: " + APPS.keySet());
			}
			boolean first = true;
			for (String variant : variants.split(",")) {
				String[] parts = variant.trim().split("/");
				progress(f("  %s %s", app.label(), variant.trim()));
				runOne(app, workers, BenchSettings.parse(parts[0]), BenchSettings.parse(parts[1]),
						BenchSettings.parse(parts[2]), first);
				first = false;
			}
		}
	}

	private void runOne(App app, int workers, Duration ttl, Duration maxTtl, Duration duration, boolean plot)
			throws Exception {
		BenchSettings settings = this.suite.settings();
		String classpath = settings.string("incumbent.classpath", "");
		if (classpath.isBlank()) {
			throw new IllegalStateException("bench.incumbent.classpath is not set (scripts/bench.sh sets it)");
		}
		String role = "bench-" + app.rolePrefix() + "-" + ttl.toSeconds() + "-" + maxTtl.toSeconds();
		this.suite.env().createRole(role, ttl, maxTtl);
		Instant countFrom = Instant.now();
		Path results = this.suite.results();
		Path samplesFile = results.resolve(role + "-samples.txt");
		Path eventsFile = results.resolve(role + "-events.txt");
		Path logFile = results.resolve(role + ".log");
		List<String> command = new ArrayList<>(List.of(SuiteContext.javaBinary(), "-cp", classpath, app.mainClass(),
				"--spring.application.name=" + role, "--spring.cloud.vault.uri=" + this.suite.vaultRequests().address(),
				"--spring.cloud.vault.database.role=" + role, "--spring.datasource.url=" + this.suite.env().jdbcUrl(),
				"--spring.datasource.hikari.maximum-pool-size=" + this.suite.poolSize(),
				"--spring.cloud.vault.config.lifecycle.min-renewal=" + settings.string("incumbent.min-renewal", "1s"),
				"--spring.cloud.vault.config.lifecycle.expiry-threshold="
						+ settings.string("incumbent.expiry-threshold", "2s"),
				"--bench.workers=" + workers, "--bench.seconds=" + duration.toSeconds(),
				"--bench.samples-file=" + samplesFile.toAbsolutePath(),
				"--bench.events-file=" + eventsFile.toAbsolutePath()));
		command.addAll(app.arguments());
		ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(logFile.toFile());
		// The token goes through the environment, never the command line.
		builder.environment().put("SPRING_CLOUD_VAULT_TOKEN", this.suite.env().rootToken());
		List<Snapshot> sessions;
		Process process = builder.start();
		try (ConnectionSampler sampler = new ConnectionSampler(this.suite.env(), 250)) {
			boolean exited = process.waitFor(duration.toSeconds() + 120, TimeUnit.SECONDS);
			sessions = sampler.stop();
			if (!exited) {
				process.destroyForcibly();
			}
			if (!exited || process.exitValue() != 0 || !Files.exists(samplesFile)) {
				throw new IllegalStateException(app.label() + " application failed; see " + logFile);
			}
		}
		Samples samples = Samples.read(samplesFile);
		Files.delete(samplesFile);
		List<String> eventLines = Files.readAllLines(eventsFile);
		long originEpochMillis = Long.parseLong(eventLines.get(0).split(" ")[1]);
		List<Request> requests = this.suite.vaultRequests().since(countFrom);
		long passwordsInLog = this.suite.vaultRequests().countPasswordsIn(logFile);
		IncumbentAnalysis a = new IncumbentAnalysis(samples, requests, originEpochMillis, maxTtl, duration, sessions);
		String label = f("%s %s/%s", app.label(), vaultTtl(ttl), vaultTtl(maxTtl));
		String key = (app.rolePrefix().equals("scv") ? "incumbent-" : "incumbent-" + app.rolePrefix() + "-")
				+ vaultTtl(ttl) + "-" + vaultTtl(maxTtl);
		new IncumbentReport(this.suite).write(label, key, samples, a, requests, eventLines,
				setup(ttl, maxTtl, workers, duration), workers, duration, plot, passwordsInLog);
	}

	private Map<String, Object> setup(Duration ttl, Duration maxTtl, int workers, Duration duration) {
		BenchSettings settings = this.suite.settings();
		Map<String, Object> setup = new LinkedHashMap<>();
		setup.put("ttl", vaultTtl(ttl));
		setup.put("maxTtl", vaultTtl(maxTtl));
		setup.put("workers", workers);
		setup.put("seconds", duration.toSeconds());
		setup.put("minRenewal", settings.string("incumbent.min-renewal", "1s"));
		setup.put("expiryThreshold", settings.string("incumbent.expiry-threshold", "2s"));
		return setup;
	}

	/**
	 * An incumbent application.
	 *
	 * @param label its name in the table
	 * @param rolePrefix part of its Vault role's and files' names
	 * @param mainClass its main class in the incumbent module
	 * @param arguments extra arguments it needs
	 */
	record App(String label, String rolePrefix, String mainClass, List<String> arguments) {

	}

}
