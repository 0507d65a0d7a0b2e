package io.github.vaultdatasource.autoconfigure;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.BeanCreationException;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Tests for {@link MissingDataSourceUrlFailureAnalyzer}, against the failure Boot's own
 * {@link DataSourceAutoConfiguration} raises when {@code spring.datasource.url} is missing and no
 * embedded database is available.
 */
@ExtendWith(OutputCaptureExtension.class)
class MissingDataSourceUrlFailureAnalyzerTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class))
		.withClassLoader(new FilteredClassLoader("org.h2", "org.hsqldb", "org.apache.derby"));

	@Test
	void bootFailsWithoutUrl() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasFailed();
			assertThat(findDataSourceBeanCreationException(context.getStartupFailure())).isNotNull();
		});
	}

	@Test
	void leavesMissingUrlToBootWhenVaultIsNotInUse() {
		this.contextRunner.run((context) -> {
			FailureAnalysis analysis = analyzer(new MockEnvironment()).analyze(context.getStartupFailure());
			assertThat(analysis).isNull();
		});
	}

	@Test
	void leavesMissingUrlToBootWhenVaultIsDisabled() {
		MockEnvironment environment = new MockEnvironment().withProperty("vault.database.role", "app")
			.withProperty("vault.enabled", "false");
		assertThat(analyzer(environment).analyze(new DataSourceBeanCreationException())).isNull();
	}

	@Test
	void ignoresOtherBeanCreationFailures() {
		MockEnvironment environment = new MockEnvironment().withProperty("vault.database.role", "app");
		assertThat(analyzer(environment).analyze(new BeanCreationException("dataSource", "Something else")))
			.isNull();
	}

	@Test
	void explainsMissingUrlWhenVaultIsInUse() {
		MockEnvironment environment = new MockEnvironment().withProperty("vault.database.role", "app");
		FailureAnalysis analysis = analyzer(environment).analyze(new DataSourceBeanCreationException());
		assertMissingUrlAnalysis(analysis);
	}

	@Test
	void explainsBootsRealMissingUrlFailureWhenVaultIsInUse() {
		MockEnvironment environment = new MockEnvironment().withProperty("vault.database.role", "app");
		this.contextRunner.run((context) -> {
			FailureAnalysis analysis = analyzer(environment).analyze(context.getStartupFailure());
			assertMissingUrlAnalysis(analysis);
		});
	}

	@Test
	void getsEnvironmentWhenLoadedAsBootLoadsFailureAnalyzers() {
		MockEnvironment environment = new MockEnvironment().withProperty("vault.database.role", "app");
		assertMissingUrlAnalysis(loadAnalyzer(environment).analyze(new DataSourceBeanCreationException()));
	}

	@Test
	void startupReportExplainsMissingUrlWhenVaultIsInUse(CapturedOutput output) {
		SpringApplication application = new SpringApplication(MissingUrlConfiguration.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		assertThatException().isThrownBy(() -> application.run("--vault.database.role=app",
				"--spring.main.banner-mode=off", "--logging.level.root=error"));
		assertThat(output).contains("spring.datasource.url is not set")
			.contains("Consider the following: set spring.datasource.url");
	}

	private static void assertMissingUrlAnalysis(FailureAnalysis analysis) {
		assertThat(analysis).isNotNull();
		assertThat(analysis.getDescription()).contains("spring.datasource.url").contains("vault.database.role");
		assertThat(analysis.getAction()).startsWith("Consider the following").contains("spring.datasource.url=");
	}

	/**
	 * Return the analyzer as Boot creates it, handed the environment the way Boot 3 did for
	 * {@link EnvironmentAware} analyzers.
	 */
	private static FailureAnalyzer analyzer(Environment environment) {
		FailureAnalyzer analyzer = loadAnalyzer(environment);
		if (analyzer instanceof EnvironmentAware aware) {
			aware.setEnvironment(environment);
		}
		return analyzer;
	}

	private static FailureAnalyzer loadAnalyzer(Environment environment) {
		return VaultDataSourceFailureAnalyzerTests.loadFailureAnalyzers(environment)
			.stream()
			.filter(MissingDataSourceUrlFailureAnalyzer.class::isInstance)
			.findFirst()
			.orElseThrow();
	}

	private static Throwable findDataSourceBeanCreationException(Throwable failure) {
		for (Throwable candidate = failure; candidate != null; candidate = candidate.getCause()) {
			if (candidate.getClass().getSimpleName().equals("DataSourceBeanCreationException")) {
				return candidate;
			}
		}
		return null;
	}

	/**
	 * Stands in for Boot's package-private exception of the same simple name.
	 */
	static class DataSourceBeanCreationException extends BeanCreationException {

		DataSourceBeanCreationException() {
			super("Failed to determine a suitable driver class");
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration(DataSourceAutoConfiguration.class)
	static class MissingUrlConfiguration {

	}

}
