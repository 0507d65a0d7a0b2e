package io.github.vaultdatasource.autoconfigure;

import java.util.function.Function;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.origin.Origin;

/**
 * Warns when a schema migration tool (Flyway, Liquibase) gets connection details of its own from a
 * service connection, such as a Testcontainers {@code @ServiceConnection} on a PostgreSQL container
 * or Docker Compose: the tool then logs in as that container's user on a connection of its own, so
 * migrations bypass the Vault-managed pool and what they create belongs to that user. Details that
 * Boot builds from the tool's own properties ({@code spring.flyway.user}, …) were chosen on
 * purpose and are not reported.
 *
 * @param <T> the connection details type of the tool
 */
final class MigrationConnectionBeanPostProcessor<T> implements BeanPostProcessor {

	private static final Log logger = LogFactory.getLog(MigrationConnectionBeanPostProcessor.class);

	private final String tool;

	private final String qualifier;

	private final Class<T> detailsType;

	private final Function<T, @Nullable String> username;

	MigrationConnectionBeanPostProcessor(String tool, String qualifier, Class<T> detailsType,
			Function<T, @Nullable String> username) {
		this.tool = tool;
		this.qualifier = qualifier;
		this.detailsType = detailsType;
		this.username = username;
	}

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) {
		if (this.detailsType.isInstance(bean)) {
			String message = check(this.detailsType.cast(bean));
			if (message != null) {
				logger.warn(message);
			}
		}
		return bean;
	}

	/**
	 * Return the warning for the given connection details, if they bypass the Vault-managed pool.
	 * @param details the migration tool's connection details
	 * @return the warning, or {@code null} when there is nothing to warn about
	 */
	@Nullable String check(T details) {
		// Boot's adapter of spring.flyway.* / spring.liquibase.*: a separate migration user set on purpose.
		if (details.getClass().getSimpleName().startsWith("Properties")) {
			return null;
		}
		String user = this.username.apply(details);
		if (user == null) {
			return null;
		}
		Origin origin = Origin.from(details);
		String from = (origin != null) ? origin.toString() : details.getClass().getName();
		return this.tool + " will connect as '" + user + "' on a connection of its own, not through the Vault-managed "
				+ "pool: its connection details come from " + from + ". Migrations then bypass Vault, and the tables "
				+ "they create belong to '" + user + "' instead of the owner role the Vault-issued users share. "
				+ "Consider the following: with Testcontainers, write @ServiceConnection(type = "
				+ "JdbcConnectionDetails.class) on the PostgreSQL container so that " + this.tool
				+ " migrates on the Vault-managed pool; if a separate migration user is intended, give " + this.tool
				+ " its own DataSource (" + this.qualifier + ").";
	}

}
