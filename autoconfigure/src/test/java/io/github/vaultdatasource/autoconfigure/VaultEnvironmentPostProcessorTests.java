package io.github.vaultdatasource.autoconfigure;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link VaultEnvironmentPostProcessor}, through a real {@link SpringApplication} (so the
 * {@code spring.factories} registration, Boot's config data loading and binding are part of it)
 * with environment variables of the test's choosing.
 */
@ExtendWith(OutputCaptureExtension.class)
class VaultEnvironmentPostProcessorTests {

	private static final String YML_TOKEN = "hvs.TokenFromApplicationYml77";

	private static final String ENV_TOKEN = "hvs.StrayTokenFromEnvironment99";

	@TempDir
	Path config;

	@Test
	void vaultAddrIsTheDefaultVaultUri() throws IOException {
		assertThat(vaultUri(Map.of("VAULT_ADDR", "https://vault.example.com:8200"), "")).isEqualTo(
				URI.create("https://vault.example.com:8200"));
	}

	@Test
	void baoAddrIsTheDefaultVaultUriWithoutVaultAddr() throws IOException {
		assertThat(vaultUri(Map.of("BAO_ADDR", "http://openbao.internal:8200"), "")).isEqualTo(
				URI.create("http://openbao.internal:8200"));
	}

	@Test
	void vaultAddrWinsOverBaoAddrWithAWarning(CapturedOutput output) throws IOException {
		assertThat(vaultUri(Map.of("VAULT_ADDR", "https://a.example.com:8200", "BAO_ADDR", "https://b.example.com:8200"),
				"")).isEqualTo(URI.create("https://a.example.com:8200"));
		assertThat(output).contains("VAULT_ADDR (https://a.example.com:8200) and BAO_ADDR (https://b.example.com:8200) differ");
	}

	@Test
	void vaultUriFromConfigurationWinsOverVaultAddr() throws IOException {
		assertThat(vaultUri(Map.of("VAULT_ADDR", "https://from-env.example.com:8200"),
				"vault:\n  uri: https://from-yml.example.com:8200\n"))
			.isEqualTo(URI.create("https://from-yml.example.com:8200"));
	}

	@Test
	void withoutVariablesTheBuiltInDefaultStays() throws IOException {
		assertThat(vaultUri(Map.of(), "")).isEqualTo(URI.create("http://127.0.0.1:8200"));
	}

	@Test
	void strayVaultTokenOverridingApplicationYmlIsWarnedAboutWithoutShowingEitherToken(CapturedOutput output)
			throws IOException {
		try (ConfigurableApplicationContext context = run(Map.of("VAULT_TOKEN", ENV_TOKEN),
				"vault:\n  token: " + YML_TOKEN + "\n")) {
			assertThat(context.getBean(VaultDataSourceProperties.class).getToken()).isEqualTo(ENV_TOKEN);
		}
		assertThat(output).contains("The environment variable VAULT_TOKEN overrides vault.token set in")
			.contains("application.yml")
			.doesNotContain(ENV_TOKEN)
			.doesNotContain(YML_TOKEN);
	}

	@Test
	void vaultTokenPlaceholderInApplicationYmlIsNotWarnedAbout(CapturedOutput output) throws IOException {
		run(Map.of("VAULT_TOKEN", ENV_TOKEN), "vault:\n  token: ${VAULT_TOKEN}\n").close();
		assertThat(output).doesNotContain("overrides vault.token");
	}

	@Test
	void vaultTokenIsNotWarnedAboutWithAnotherAuthenticationMethod(CapturedOutput output) throws IOException {
		run(Map.of("VAULT_TOKEN", ENV_TOKEN), "vault:\n  authentication: approle\n  token: " + YML_TOKEN + "\n")
			.close();
		assertThat(output).doesNotContain("overrides vault.token");
	}

	@Test
	void vaultTokenIsNotWarnedAboutWhenVaultIsDisabled(CapturedOutput output) throws IOException {
		run(Map.of("VAULT_TOKEN", ENV_TOKEN), "vault:\n  enabled: false\n  token: " + YML_TOKEN + "\n").close();
		assertThat(output).doesNotContain("overrides vault.token");
	}

	private URI vaultUri(Map<String, String> variables, String yml) throws IOException {
		try (ConfigurableApplicationContext context = run(variables, yml)) {
			List<URI> uris = context.getBean(VaultDataSourceProperties.class).getUri();
			assertThat(uris).hasSize(1);
			return uris.get(0);
		}
	}

	private ConfigurableApplicationContext run(Map<String, String> variables, String yml) throws IOException {
		Path file = this.config.resolve("application.yml");
		Files.writeString(file, yml);
		StandardEnvironment environment = new StandardEnvironment();
		MutablePropertySources sources = environment.getPropertySources();
		sources.replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, new SystemEnvironmentPropertySource(
				StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, new HashMap<>(variables)));
		SpringApplication application = new SpringApplication(PropertiesOnly.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setEnvironment(environment);
		return application.run("--spring.config.location=" + file.toUri(), "--spring.main.banner-mode=off");
	}

	@Configuration(proxyBeanMethods = false)
	@EnableConfigurationProperties(VaultDataSourceProperties.class)
	static class PropertiesOnly {

	}

}
