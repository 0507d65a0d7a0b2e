package io.github.vaultdatasource.autoconfigure;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link StartupChecks}. The warnings themselves are checked against a real context by
 * {@link MisconfigurationIntegrationTests}.
 */
class StartupChecksTests {

	@Test
	void theKnownPropertiesAreTheLibrarysOwnFromItsMetadata() {
		assertThat(StartupChecks.knownProperties()).contains("vault.uri", "vault.database.role", "vault.lease.renew-at",
				"vault.rotation.surge-wait")
			.allMatch((name) -> name.startsWith("vault."))
			.doesNotContain("vault.lease", "vault.rotation");
	}

	@Test
	void readsOnlyTheMetadataNextToItsOwnClassesNotEveryJars() throws Exception {
		java.net.URL own = StartupChecks.ownMetadata();
		assertThat(own).isNotNull();
		assertThat(own.toString()).endsWith("/META-INF/spring-configuration-metadata.json")
			.startsWith(StartupChecks.class.getProtectionDomain().getCodeSource().getLocation().toString());
		try (java.io.InputStream in = own.openStream()) {
			assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
				.contains("\"vault.uri\"");
		}
	}

}
