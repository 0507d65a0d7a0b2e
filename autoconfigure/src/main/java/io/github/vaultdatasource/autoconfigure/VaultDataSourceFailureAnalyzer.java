package io.github.vaultdatasource.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns a {@link VaultDataSourceException} into a startup failure report.
 */
class VaultDataSourceFailureAnalyzer extends AbstractFailureAnalyzer<VaultDataSourceException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, VaultDataSourceException cause) {
		return new FailureAnalysis(cause.getDescription(), cause.getAction(), cause);
	}

}
