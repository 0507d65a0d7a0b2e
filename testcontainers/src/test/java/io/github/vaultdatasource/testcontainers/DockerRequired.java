package io.github.vaultdatasource.testcontainers;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * Skips container tests where no Docker engine answers, except in CI ({@code CI=true}): there
 * they run and fail, so a broken engine can never pass for a green build.
 */
public class DockerRequired implements ExecutionCondition {

	@Override
	public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
		if ("true".equals(System.getenv("CI"))) {
			return ConditionEvaluationResult.enabled("CI=true: container tests always run");
		}
		if (DockerClientFactory.instance().isDockerAvailable()) {
			return ConditionEvaluationResult.enabled("Docker is available");
		}
		return ConditionEvaluationResult.disabled("No Docker engine (run scripts/docker.sh up); skipped outside CI");
	}

}
