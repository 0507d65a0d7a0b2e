package io.github.vaultdatasource.autoconfigure;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import org.apache.commons.logging.Log;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.util.StringUtils;

/**
 * Reads the environment variables the Vault and OpenBao command-line tools use: {@code VAULT_ADDR}
 * (or {@code BAO_ADDR}) becomes a low-precedence default for {@code vault.uri}, and a warning is
 * logged when a {@code VAULT_TOKEN} variable overrides a different {@code vault.token} from the
 * application's configuration files.
 */
public class VaultEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

	/**
	 * Name of the property source that holds {@code vault.uri} taken from {@code VAULT_ADDR} or
	 * {@code BAO_ADDR}.
	 */
	public static final String PROPERTY_SOURCE_NAME = "vaultAddressEnvironmentVariable";

	private static final String VAULT_ADDR = "VAULT_ADDR";

	private static final String BAO_ADDR = "BAO_ADDR";

	private static final String VAULT_TOKEN = "VAULT_TOKEN";

	private static final String DEFAULT_PROPERTIES = "defaultProperties";

	private final Log logger;

	public VaultEnvironmentPostProcessor(DeferredLogFactory logFactory) {
		this.logger = logFactory.getLog(VaultEnvironmentPostProcessor.class);
	}

	@Override
	public int getOrder() {
		// After ConfigDataEnvironmentPostProcessor: application.yml must be loaded to be compared.
		return Ordered.LOWEST_PRECEDENCE;
	}

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		addVaultAddress(environment);
		warnIfVaultTokenOverridesConfiguration(environment);
	}

	private void addVaultAddress(ConfigurableEnvironment environment) {
		String vaultAddr = environment.getProperty(VAULT_ADDR);
		String baoAddr = environment.getProperty(BAO_ADDR);
		String address = StringUtils.hasText(vaultAddr) ? vaultAddr.trim()
				: (StringUtils.hasText(baoAddr) ? baoAddr.trim() : null);
		if (address == null) {
			return;
		}
		if (StringUtils.hasText(vaultAddr) && StringUtils.hasText(baoAddr) && !vaultAddr.trim().equals(baoAddr.trim())) {
			this.logger.warn(VAULT_ADDR + " (" + vaultAddr.trim() + ") and " + BAO_ADDR + " (" + baoAddr.trim()
					+ ") differ; vault.uri defaults to " + VAULT_ADDR + ". Set vault.uri to choose.");
		}
		MapPropertySource source = new MapPropertySource(PROPERTY_SOURCE_NAME, Map.of("vault.uri", address));
		MutablePropertySources sources = environment.getPropertySources();
		// Below everything the application configures, above only SpringApplication's default properties.
		if (sources.contains(DEFAULT_PROPERTIES)) {
			sources.addBefore(DEFAULT_PROPERTIES, source);
		}
		else {
			sources.addLast(source);
		}
	}

	private void warnIfVaultTokenOverridesConfiguration(ConfigurableEnvironment environment) {
		PropertySource<?> systemEnvironment = environment.getPropertySources()
			.get(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
		if (systemEnvironment == null || !StringUtils.hasText(asString(systemEnvironment.getProperty(VAULT_TOKEN)))
				|| !environment.getProperty("vault.enabled", Boolean.class, true)
				|| !usesTokenAuthentication(environment)) {
			return;
		}
		String fromVariable = asString(systemEnvironment.getProperty(VAULT_TOKEN));
		boolean belowSystemEnvironment = false;
		for (PropertySource<?> source : environment.getPropertySources()) {
			if (source == systemEnvironment) {
				belowSystemEnvironment = true;
				continue;
			}
			if (!belowSystemEnvironment || !source.containsProperty("vault.token")) {
				continue;
			}
			String configured = asString(source.getProperty("vault.token"));
			String resolved = (configured != null) ? environment.resolvePlaceholders(configured) : null;
			if (!Objects.equals(resolved, fromVariable)) {
				this.logger.warn("The environment variable " + VAULT_TOKEN + " overrides vault.token set in "
						+ source.getName() + ": environment variables take precedence over configuration files, so "
						+ "Vault is logged in to with the token from " + VAULT_TOKEN
						+ ". Unset the variable, or write vault.token: ${" + VAULT_TOKEN + "} in the file.");
			}
			return;
		}
	}

	private static boolean usesTokenAuthentication(ConfigurableEnvironment environment) {
		String method = environment.getProperty("vault.authentication");
		return method == null || method.trim().toLowerCase(Locale.ROOT).equals("token");
	}

	private static @Nullable String asString(@Nullable Object value) {
		return (value != null) ? value.toString() : null;
	}

}
