package io.github.vaultdatasource.autoconfigure;

import java.util.List;

import org.apache.commons.logging.LogFactory;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.Environment;
import org.springframework.core.io.support.SpringFactoriesLoader;
import org.springframework.core.io.support.SpringFactoriesLoader.ArgumentResolver;
import org.springframework.core.io.support.SpringFactoriesLoader.FailureHandler;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link VaultDataSourceFailureAnalyzer}.
 */
class VaultDataSourceFailureAnalyzerTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VaultDataSourceAutoConfiguration.class));

	private final VaultDataSourceFailureAnalyzer analyzer = new VaultDataSourceFailureAnalyzer();

	@Test
	void analysisShowsDescriptionAndAction() {
		VaultDataSourceException failure = new VaultDataSourceException("vault.database.role is not set.",
				"Consider the following: set vault.database.role, for example vault.database.role=app.", null);
		FailureAnalysis analysis = this.analyzer
			.analyze(new BeanCreationException("vaultTokenManager", "Failed to instantiate", failure));
		assertThat(analysis).isNotNull();
		assertThat(analysis.getDescription()).isEqualTo("vault.database.role is not set.");
		assertThat(analysis.getAction()).startsWith("Consider the following").contains("vault.database.role=app");
		assertThat(analysis.getCause()).isSameAs(failure);
	}

	@Test
	void analysisOfRealStartupFailureNamesMissingProperty() {
		this.contextRunner.withPropertyValues("vault.token=hvs.TopSecretTokenValue42").run((context) -> {
			FailureAnalysis analysis = this.analyzer.analyze(context.getStartupFailure());
			assertThat(analysis).isNotNull();
			assertThat(analysis.getDescription()).contains("vault.database.role").doesNotContain("TopSecret");
			assertThat(analysis.getAction()).startsWith("Consider the following: set vault.database.role")
				.doesNotContain("TopSecret");
		});
	}

	@Test
	void otherFailuresAreLeftToOtherAnalyzers() {
		assertThat(this.analyzer.analyze(new IllegalStateException("unrelated"))).isNull();
	}

	@Test
	void isRegisteredAsFailureAnalyzer() {
		assertThat(loadFailureAnalyzers(new MockEnvironment()))
			.anySatisfy((analyzer) -> assertThat(analyzer).isInstanceOf(VaultDataSourceFailureAnalyzer.class));
	}

	/**
	 * Load the failure analyzers the way Spring Boot's {@code FailureAnalyzers} does.
	 */
	static List<FailureAnalyzer> loadFailureAnalyzers(Environment environment) {
		ClassLoader classLoader = VaultDataSourceFailureAnalyzerTests.class.getClassLoader();
		ArgumentResolver arguments = ArgumentResolver.of(BeanFactory.class, new DefaultListableBeanFactory())
			.and(Environment.class, environment);
		return SpringFactoriesLoader.forDefaultResourceLocation(classLoader)
			.load(FailureAnalyzer.class, arguments, FailureHandler.logging(LogFactory.getLog(FailureAnalyzer.class)));
	}

}
