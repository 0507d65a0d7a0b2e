package io.github.vaultdatasource.sample;

import io.github.vaultdatasource.testcontainers.OpenBaoContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The images the container tests and {@link TestSampleApplication} use: the local stand-ins that
 * {@code scripts/docker.sh up} builds when {@code VDS_POSTGRES_IMAGE} / {@code VDS_OPENBAO_IMAGE}
 * name them, the official images otherwise.
 */
final class TestImages {

	private TestImages() {
	}

	static DockerImageName postgres() {
		String local = System.getenv("VDS_POSTGRES_IMAGE");
		return (local != null && !local.isBlank()) ? DockerImageName.parse(local).asCompatibleSubstituteFor("postgres")
				: DockerImageName.parse("postgres:15");
	}

	static DockerImageName openBao() {
		String local = System.getenv("VDS_OPENBAO_IMAGE");
		return (local != null && !local.isBlank())
				? DockerImageName.parse(local).asCompatibleSubstituteFor(OpenBaoContainer.OPENBAO_IMAGE)
				: OpenBaoContainer.OPENBAO_IMAGE.withTag(OpenBaoContainer.DEFAULT_TAG);
	}

}
