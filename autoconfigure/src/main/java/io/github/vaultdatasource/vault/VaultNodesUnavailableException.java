package io.github.vaultdatasource.vault;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import io.github.vaultdatasource.vault.FailoverClientHttpRequestFactory.NodeOutcome;

/**
 * No Vault node could serve a request within its time budget: every node refused the connection,
 * timed out, or answered that it has no active node. An {@link IOException}, so Spring's
 * {@code RestClient} reports it as a {@code ResourceAccessException} and the request counts as
 * "Vault unavailable, retry later".
 */
public class VaultNodesUnavailableException extends IOException {

	private final List<NodeOutcome> outcomes;

	VaultNodesUnavailableException(String path, Duration elapsed, List<NodeOutcome> outcomes) {
		super("No Vault node could serve " + path + " within " + elapsed.toMillis() + " ms: "
				+ NodeOutcome.describe(outcomes));
		this.outcomes = List.copyOf(outcomes);
	}

	/**
	 * Return what each attempt met, in order.
	 * @return the outcomes
	 */
	public List<NodeOutcome> getOutcomes() {
		return this.outcomes;
	}

}
