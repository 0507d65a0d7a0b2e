package io.github.vaultdatasource.autoconfigure;

import io.github.vaultdatasource.vault.VaultTlsException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;

/**
 * Reports a TLS misconfiguration between the application and Vault (untrusted certificate,
 * {@code https} to a plain-HTTP port, {@code http} to an HTTPS port) by what to change, ahead of
 * the general "Vault could not be reached" report that wraps it.
 */
class VaultTlsFailureAnalyzer extends AbstractFailureAnalyzer<VaultTlsException> implements Ordered {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, VaultTlsException cause) {
		return new FailureAnalysis(cause.getMessage() + ".", "Consider the following: " + cause.getAction() + ".",
				cause);
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

}
