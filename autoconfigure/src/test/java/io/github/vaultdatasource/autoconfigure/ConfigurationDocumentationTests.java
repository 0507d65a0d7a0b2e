package io.github.vaultdatasource.autoconfigure;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks {@code docs/configuration.md} against the configuration metadata the build generates:
 * every property is documented with its default, and the document names no property that does
 * not exist.
 */
class ConfigurationDocumentationTests {

	private static final Pattern ROW = Pattern.compile("^\\| `([a-z0-9.-]+)` \\| ([^|]*) \\|", Pattern.MULTILINE);

	@Test
	void documentationMatchesTheGeneratedMetadata() throws Exception {
		Map<String, String> metadata = metadataDefaults();
		Map<String, String> documented = documentedDefaults();
		assertThat(metadata).as("generated metadata").containsKeys("vault.uri", "vault.database.role",
				"management.health.vaultleases.enabled");
		assertThat(documented.keySet()).as("properties in docs/configuration.md")
			.containsExactlyInAnyOrderElementsOf(metadata.keySet());
		metadata.forEach((name, value) -> assertThat(documented.get(name)).as("default of %s", name)
			.isEqualTo(value));
	}

	private static Map<String, String> metadataDefaults() throws IOException, URISyntaxException {
		Map<String, String> defaults = new LinkedHashMap<>();
		for (URL url : Collections.list(ConfigurationDocumentationTests.class.getClassLoader()
			.getResources("META-INF/spring-configuration-metadata.json"))) {
			// Ours is the one in this module's build output, not a library's, nor the one the
			// processor writes for @ConfigurationProperties in test code (app.datasource.* of tests).
			if (!"file".equals(url.getProtocol()) || url.getPath().contains("/test-classes/")) {
				continue;
			}
			JsonNode root = JsonMapper.builder().build().readTree(Files.readString(Path.of(url.toURI())));
			for (JsonNode property : root.get("properties")) {
				JsonNode value = property.get("defaultValue");
				defaults.put(property.get("name").asString(), (value != null) ? normalize(value.asString()) : "—");
			}
		}
		return defaults;
	}

	private static Map<String, String> documentedDefaults() throws IOException {
		Path dir = Path.of("").toAbsolutePath();
		while (!Files.exists(dir.resolve("docs/configuration.md"))) {
			dir = dir.getParent();
			assertThat(dir).as("repository root with docs/configuration.md").isNotNull();
		}
		Map<String, String> defaults = new LinkedHashMap<>();
		Matcher row = ROW.matcher(Files.readString(dir.resolve("docs/configuration.md")));
		while (row.find()) {
			String value = row.group(2).trim();
			defaults.put(row.group(1), value.startsWith("`") ? normalize(value.substring(1, value.indexOf('`', 1)))
					: "—");
		}
		return defaults;
	}

	private static String normalize(String value) {
		String normalized = value.toLowerCase(Locale.ROOT).replace('_', '-');
		return normalized.matches("[0-9]+\\.0") ? normalized.substring(0, normalized.length() - 2) : normalized;
	}

}
