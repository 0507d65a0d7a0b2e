package io.github.vaultdatasource.testsupport;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;

import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggerConfiguration;
import org.springframework.boot.logging.LoggingSystem;

/**
 * Logs the library's DEBUG lines (renewals, rotation steps) while a test class runs, and puts the
 * level back afterwards. For tests with an {@code ApplicationContextRunner}, which does not apply
 * {@code logging.level.*}; a test that starts a {@code SpringApplication} sets that property instead.
 */
public final class DebugLogging implements BeforeAllCallback, AfterAllCallback {

	private static final String LOGGER = "io.github.vaultdatasource";

	private static final Namespace NAMESPACE = Namespace.create(DebugLogging.class);

	@Override
	public void beforeAll(ExtensionContext context) {
		LoggingSystem system = LoggingSystem.get(DebugLogging.class.getClassLoader());
		LoggerConfiguration configuration = system.getLoggerConfiguration(LOGGER);
		context.getStore(NAMESPACE).put(LOGGER, new Previous(configuration.getConfiguredLevel()));
		system.setLogLevel(LOGGER, LogLevel.DEBUG);
	}

	@Override
	public void afterAll(ExtensionContext context) {
		Previous previous = context.getStore(NAMESPACE).remove(LOGGER, Previous.class);
		if (previous != null) {
			LoggingSystem.get(DebugLogging.class.getClassLoader()).setLogLevel(LOGGER, previous.level());
		}
	}

	// Null when the level was inherited: setting null makes it inherited again.
	private record Previous(LogLevel level) {

	}

}
