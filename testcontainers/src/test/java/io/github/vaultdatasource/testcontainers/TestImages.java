package io.github.vaultdatasource.testcontainers;

import org.testcontainers.utility.DockerImageName;

/**
 * The images the container tests (here and in the sample app) use: the local stand-ins that {@code scripts/docker.sh up}
 * builds when {@code VDS_POSTGRES_IMAGE} / {@code VDS_OPENBAO_IMAGE} name them, the official
 * images otherwise.
 */
public final class TestImages {

	private TestImages() {
	}

	public static DockerImageName postgres() {
		String local = System.getenv("VDS_POSTGRES_IMAGE");
		return (local != null && !local.isBlank()) ? DockerImageName.parse(local).asCompatibleSubstituteFor("postgres")
				: DockerImageName.parse("postgres:15");
	}

	public static DockerImageName openBao() {
		String local = System.getenv("VDS_OPENBAO_IMAGE");
		return (local != null && !local.isBlank())
				? DockerImageName.parse(local).asCompatibleSubstituteFor(OpenBaoContainer.OPENBAO_IMAGE)
				: OpenBaoContainer.OPENBAO_IMAGE.withTag(OpenBaoContainer.DEFAULT_TAG);
	}

}
