package io.github.vaultdatasource.testsupport;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;
import org.springframework.core.io.support.SpringFactoriesLoader;
import org.springframework.core.io.support.SpringFactoriesLoader.ArgumentResolver;
import org.springframework.core.io.support.SpringFactoriesLoader.FailureHandler;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Starts a context that must fail and analyses the failure the way Spring Boot's
 * {@code FailureAnalyzers} does: every {@link FailureAnalyzer} registered in
 * {@code META-INF/spring.factories}, created with the context's bean factory and environment as
 * constructor arguments, in order; the first analysis wins.
 */
public final class StartupFailures {

	private static final Log logger = LogFactory.getLog(StartupFailures.class);

	private StartupFailures() {
	}

	/**
	 * Start the context, expect it to fail, and return the failure and its analysis.
	 * @param runner the context runner with the properties of the case
	 * @return the failure and its analysis
	 */
	public static Failed start(ApplicationContextRunner runner) {
		AtomicReference<ConfigurableApplicationContext> started = new AtomicReference<>();
		AtomicReference<Throwable> failure = new AtomicReference<>();
		runner.withInitializer(started::set).run((context) -> {
			assertThat(context).hasFailed();
			failure.set(context.getStartupFailure());
		});
		FailureAnalysis analysis = analyze(failure.get(), started.get());
		assertThat(analysis).as("failure analysis of %s", failure.get()).isNotNull();
		assertThat(analysis.getDescription()).isNotBlank();
		assertThat(analysis.getAction()).startsWith("Consider the following:");
		return new Failed(failure.get(), analysis);
	}

	/**
	 * Return the first exception of a type in a startup failure's chain of causes.
	 * @param <T> the type
	 * @param failure the startup failure
	 * @param type the type
	 * @return the exception
	 * @throws AssertionError when there is none
	 */
	public static <T extends Throwable> T cause(Throwable failure, Class<T> type) {
		for (Throwable candidate = failure; candidate != null; candidate = candidate.getCause()) {
			if (type.isInstance(candidate)) {
				return type.cast(candidate);
			}
		}
		throw new AssertionError("No " + type.getSimpleName() + " in " + failure);
	}

	private static FailureAnalysis analyze(Throwable failure, ConfigurableApplicationContext context) {
		ArgumentResolver arguments = ArgumentResolver.of(BeanFactory.class, context.getBeanFactory())
			.and(Environment.class, context.getEnvironment());
		List<FailureAnalyzer> analyzers = SpringFactoriesLoader
			.forDefaultResourceLocation(StartupFailures.class.getClassLoader())
			.load(FailureAnalyzer.class, arguments, FailureHandler.logging(logger));
		for (FailureAnalyzer analyzer : analyzers) {
			FailureAnalysis analysis = analyzer.analyze(failure);
			if (analysis != null) {
				return analysis;
			}
		}
		return null;
	}

	/**
	 * A failed startup.
	 *
	 * @param failure the exception that stopped it
	 * @param analysis what a user is shown
	 */
	public record Failed(Throwable failure, FailureAnalysis analysis) {

		/**
		 * Assert that neither the analysis nor any message in the exception chain shows a secret.
		 * @param secret the secret
		 */
		public void assertNoSecret(String secret) {
			assertThat(this.analysis.getDescription()).doesNotContain(secret);
			assertThat(this.analysis.getAction()).doesNotContain(secret);
			for (Throwable cause = this.failure; cause != null; cause = cause.getCause()) {
				assertThat(String.valueOf(cause.getMessage())).as("message of %s", cause.getClass().getName())
					.doesNotContain(secret);
			}
		}

	}

}
