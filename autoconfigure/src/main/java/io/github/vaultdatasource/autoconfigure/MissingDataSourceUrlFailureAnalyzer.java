package io.github.vaultdatasource.autoconfigure;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanCreationException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

/**
 * Explains a DataSource that could not be built for lack of {@code spring.datasource.url} when
 * vault-datasource is in use: Vault supplies the username and password, never the URL. Ordered
 * before Boot's own analyzer, whose advice about embedded databases does not apply here.
 */
class MissingDataSourceUrlFailureAnalyzer implements FailureAnalyzer, Ordered {

	private final Environment environment;

	// Boot creates failure analyzers with constructor arguments; it does not call *Aware setters.
	MissingDataSourceUrlFailureAnalyzer(Environment environment) {
		this.environment = environment;
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

	@Override
	public @Nullable FailureAnalysis analyze(Throwable failure) {
		BeanCreationException cause = findDataSourceBeanCreationException(failure);
		if (cause == null || !vaultInUse()) {
			return null;
		}
		return new FailureAnalysis("""
				vault-datasource could not configure the DataSource: spring.datasource.url is not set.
				Vault issues the database username and password (vault.database.role), but the JDBC URL of \
				the database must come from spring.datasource.url.""",
				"Consider the following: set spring.datasource.url, for example "
						+ "spring.datasource.url=jdbc:postgresql://db.example.com:5432/appdb, and leave "
						+ "spring.datasource.username and spring.datasource.password unset.",
				cause);
	}

	// Boot's DataSourceBeanCreationException is not public and arrives wrapped in the
	// BeanCreationException of the 'dataSource' bean: look through the whole chain by name.
	private static @Nullable BeanCreationException findDataSourceBeanCreationException(Throwable failure) {
		for (Throwable candidate = failure; candidate != null; candidate = (candidate.getCause() != candidate)
				? candidate.getCause() : null) {
			if (candidate instanceof BeanCreationException ex
					&& candidate.getClass().getSimpleName().equals("DataSourceBeanCreationException")) {
				return ex;
			}
		}
		return null;
	}

	private boolean vaultInUse() {
		return this.environment.getProperty("vault.enabled", Boolean.class, true)
				&& this.environment.containsProperty("vault.database.role");
	}

}
