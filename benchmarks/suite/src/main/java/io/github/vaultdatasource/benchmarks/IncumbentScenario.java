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

import io.github.vaultdatasource.benchmarks.VaultRequestCounter.Request;
import io.github.vaultdatasource.benchmarks.load.Samples;

import static io.github.vaultdatasource.benchmarks.Report.f;
import static io.github.vaultdatasource.benchmarks.SuiteContext.vaultTtl;

/**
 * The incumbent, Spring Cloud Vault, in its own JVM under the same load, on roles whose
 * {@code max_ttl} the run crosses.
 */
final class IncumbentScenario {

	private final SuiteContext suite;

	IncumbentScenario(SuiteContext suite) {
		this.suite = suite;
	}

	void run() throws Exception {
		BenchSettings settings = this.suite.settings();
		int workers = settings.integer("rotation.workers", 32);
		String variants = settings.string("incumbent.variants", "4s/12s/24s,3s/6s/16s");
		boolean first = true;
		for (String variant : variants.split(",")) {
			String[] parts = variant.trim().split("/");
			runOne(workers, BenchSettings.parse(parts[0]), BenchSettings.parse(parts[1]), BenchSettings.parse(parts[2]),
					first);
			first = false;
		}
	}

	private void runOne(int workers, Duration ttl, Duration maxTtl, Duration duration, boolean plot) throws Exception {
		BenchSettings settings = this.suite.settings();
		String classpath = settings.string("incumbent.classpath", "");
		if (classpath.isBlank()) {
			throw new IllegalStateException("bench.incumbent.classpath is not set (scripts/bench.sh sets it)");
		}
		String role = "bench-scv-" + ttl.toSeconds() + "-" + maxTtl.toSeconds();
		this.suite.env().createRole(role, ttl, maxTtl);
		Instant countFrom = Instant.now();
		Path results = this.suite.results();
		Path samplesFile = results.resolve("scv-" + role + "-samples.txt");
		Path eventsFile = results.resolve("scv-" + role + "-events.txt");
		Path logFile = results.resolve("scv-" + role + ".log");
		List<String> command = new ArrayList<>(List.of(SuiteContext.javaBinary(), "-cp", classpath,
				"io.github.vaultdatasource.benchmarks.incumbent.SpringCloudVaultApplication",
				"--spring.cloud.vault.uri=" + this.suite.vaultRequests().address(),
				"--spring.cloud.vault.database.role=" + role, "--spring.datasource.url=" + this.suite.env().jdbcUrl(),
				"--spring.datasource.hikari.maximum-pool-size=" + this.suite.poolSize(),
				"--spring.cloud.vault.config.lifecycle.min-renewal=" + settings.string("incumbent.min-renewal", "1s"),
				"--spring.cloud.vault.config.lifecycle.expiry-threshold="
						+ settings.string("incumbent.expiry-threshold", "2s"),
				"--bench.workers=" + workers, "--bench.seconds=" + duration.toSeconds(),
				"--bench.samples-file=" + samplesFile.toAbsolutePath(),
				"--bench.events-file=" + eventsFile.toAbsolutePath()));
		ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(logFile.toFile());
		// The token goes through the environment, never the command line.
		builder.environment().put("SPRING_CLOUD_VAULT_TOKEN", this.suite.env().rootToken());
		Process process = builder.start();
		boolean exited = process.waitFor(duration.toSeconds() + 120, TimeUnit.SECONDS);
		if (!exited) {
			process.destroyForcibly();
		}
		if (!exited || process.exitValue() != 0 || !Files.exists(samplesFile)) {
			throw new IllegalStateException("Spring Cloud Vault application failed; see " + logFile);
		}
		Samples samples = Samples.read(samplesFile);
		Files.delete(samplesFile);
		List<String> eventLines = Files.readAllLines(eventsFile);
		long originEpochMillis = Long.parseLong(eventLines.get(0).split(" ")[1]);
		List<Request> requests = this.suite.vaultRequests().since(countFrom);
		IncumbentAnalysis a = new IncumbentAnalysis(samples, requests, originEpochMillis, maxTtl, duration);
		new IncumbentReport(this.suite).write(f("Spring Cloud Vault %s/%s", vaultTtl(ttl), vaultTtl(maxTtl)),
				"incumbent-" + vaultTtl(ttl) + "-" + vaultTtl(maxTtl), samples, a, requests, eventLines,
				setup(ttl, maxTtl, workers, duration), workers, duration, plot);
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

}
