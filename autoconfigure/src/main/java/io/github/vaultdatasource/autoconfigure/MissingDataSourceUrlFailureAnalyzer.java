package io.github.vaultdatasource.autoconfigure;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanCreationException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

/**
 * Explains a DataSource that could not be built for lack of {@code spring.datasource.url} when
 * vault-datasource is in use: Vault supplies the username and password, never the URL. Ordered
 * before Boot's own analyzer, whose advice about embedded databases does not apply here.
 */
class MissingDataSourceUrlFailureAnalyzer extends AbstractFailureAnalyzer<BeanCreationException>
		implements EnvironmentAware, Ordered {

	private @Nullable Environment environment;

	@Override
	public void setEnvironment(Environment environment) {
		this.environment = environment;
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

	@Override
	protected @Nullable FailureAnalysis analyze(Throwable rootFailure, BeanCreationException cause) {
		if (!cause.getClass().getSimpleName().equals("DataSourceBeanCreationException") || !vaultInUse()) {
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

	private boolean vaultInUse() {
		return this.environment != null && this.environment.getProperty("vault.enabled", Boolean.class, true)
				&& this.environment.containsProperty("vault.database.role");
	}

}
