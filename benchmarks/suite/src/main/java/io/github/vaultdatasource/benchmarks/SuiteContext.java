package io.github.vaultdatasource.benchmarks;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;

import static io.github.vaultdatasource.benchmarks.Report.f;

/**
 * What every scenario of one suite run shares: the settings, the real services, the Vault request
 * counter, the report and the plot's panels, and how to start the benchmarked application.
 */
final class SuiteContext {

	private final BenchSettings settings = new BenchSettings();

	private final Report report = new Report();

	private final List<LatencyPlot.Panel> panels = new ArrayList<>();

	private final BenchEnvironment env;

	private final Path results;

	private final VaultRequestCounter vaultRequests;

	SuiteContext(BenchEnvironment env, Path results, VaultRequestCounter vaultRequests) {
		this.env = env;
		this.results = results;
		this.vaultRequests = vaultRequests;
	}

	BenchSettings settings() {
		return this.settings;
	}

	Report report() {
		return this.report;
	}

	List<LatencyPlot.Panel> panels() {
		return this.panels;
	}

	BenchEnvironment env() {
		return this.env;
	}

	Path results() {
		return this.results;
	}

	VaultRequestCounter vaultRequests() {
		return this.vaultRequests;
	}

	int poolSize() {
		return this.settings.integer("pool-size", 10);
	}

	Map<String, Object> staticProperties(String poolName) {
		Map<String, Object> properties = baseProperties(poolName);
		properties.put("vault.enabled", false);
		properties.put("spring.datasource.username", BenchEnvironment.STATIC_USER);
		properties.put("spring.datasource.password", this.env.staticPassword());
		return properties;
	}

	Map<String, Object> vaultProperties(String poolName, String role) {
		Map<String, Object> properties = baseProperties(poolName);
		properties.put("vault.uri", this.vaultRequests.address());
		properties.put("vault.token", this.env.rootToken());
		properties.put("vault.database.role", role);
		properties.put("vault.read-timeout", "2s");
		return properties;
	}

	private Map<String, Object> baseProperties(String poolName) {
		Map<String, Object> properties = new HashMap<>();
		properties.put("spring.datasource.url", this.env.jdbcUrl());
		properties.put("spring.datasource.hikari.maximum-pool-size", poolSize());
		properties.put("spring.datasource.hikari.pool-name", poolName);
		return properties;
	}

	/**
	 * Start the benchmarked application ({@link BenchApplication}) in this JVM.
	 * @param properties its properties
	 * @return the running context
	 */
	static ConfigurableApplicationContext start(Map<String, Object> properties) {
		SpringApplication application = new SpringApplication(BenchApplication.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setBannerMode(Banner.Mode.OFF);
		application.setLogStartupInfo(false);
		application.setRegisterShutdownHook(false);
		application.setDefaultProperties(properties);
		return application.run();
	}

	static String javaBinary() {
		return ProcessHandle.current().info().command().orElse("java");
	}

	static String vaultTtl(java.time.Duration duration) {
		return BenchSettings.vaultTtl(duration);
	}

	static void progress(String message) {
		System.out.println(f("[bench %s] %s", java.time.LocalTime.now().withNano(0), message));
	}

}
