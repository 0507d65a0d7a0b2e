package io.github.vaultdatasource.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.env.Environment;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.util.StreamUtils;
import org.springframework.util.StringUtils;

/**
 * The checks of configuration done once, when the first data source comes under management:
 * values that cannot work stop startup with a message naming the property; settings that work
 * but are probably not what the user meant are one WARN each.
 */
final class StartupChecks {

	private static final Log logger = LogFactory.getLog(StartupChecks.class);

	private static final ConfigurationPropertyName VAULT = ConfigurationPropertyName.of("vault");

	private static final Pattern METADATA_NAME = Pattern.compile("\"name\"\\s*:\\s*\"(vault\\.[^\"]+)\"");

	private StartupChecks() {
	}

	/**
	 * Check every value that has a range, naming the property of the first one out of it.
	 * @param properties the properties
	 * @throws VaultDataSourceException for a value that cannot work
	 */
	static void validate(VaultDataSourceProperties properties) {
		VaultDataSourceProperties.Lease lease = properties.getLease();
		between("vault.lease.renew-at", lease.getRenewAt(), 0, 1, "0.5");
		if (!(lease.getJitter() >= 0 && lease.getJitter() <= 0.5)) {
			throw invalid("vault.lease.jitter", lease.getJitter(), "between 0 and 0.5", "0.1");
		}
		between("vault.lease.drain-share", lease.getDrainShare(), 0, 1, "0.4");
		notNegative("vault.lease.min-drain-budget", lease.getMinDrainBudget(), "1s");
		positive("vault.lease.retry-initial-delay", lease.getRetryInitialDelay(), "1s");
		positive("vault.lease.retry-max-delay", lease.getRetryMaxDelay(), "30s");
		if (lease.getRetryMaxDelay().compareTo(lease.getRetryInitialDelay()) < 0) {
			throw invalid("vault.lease.retry-max-delay", lease.getRetryMaxDelay(),
					"at least vault.lease.retry-initial-delay (" + lease.getRetryInitialDelay() + ")", "30s");
		}
		notNegative("vault.lease.shutdown-timeout", lease.getShutdownTimeout(), "10s");
		VaultDataSourceProperties.Rotation rotation = properties.getRotation();
		positive("vault.rotation.validation-timeout", rotation.getValidationTimeout(), "5s");
		positive("vault.rotation.sweep-interval", rotation.getSweepInterval(), "100ms");
		notNegative("vault.rotation.surge-wait", rotation.getSurgeWait(), "2s");
		if (!(rotation.getSurgeFactor() >= 1 && rotation.getSurgeFactor() <= 10)) {
			throw invalid("vault.rotation.surge-factor", rotation.getSurgeFactor(), "between 1 and 10", "2.0");
		}
		positive("vault.connection-timeout", properties.getConnectionTimeout(), "5s");
		positive("vault.read-timeout", properties.getReadTimeout(), "15s");
		notNegative("vault.health.expiry-threshold", properties.getHealth().getExpiryThreshold(), "5m");
	}

	/**
	 * Warn when {@code spring.datasource.username} or {@code password} is set: the pool logs in with
	 * the credentials Vault issues, so they are ignored.
	 * @param environment the environment
	 * @param credentialsPath where Vault issues the credentials from
	 */
	static void warnAboutIgnoredCredentials(Environment environment, String credentialsPath) {
		List<String> set = new ArrayList<>();
		for (String property : List.of("spring.datasource.username", "spring.datasource.password")) {
			if (StringUtils.hasText(environment.getProperty(property))) {
				set.add(property);
			}
		}
		if (!set.isEmpty()) {
			logger.warn(String.format("%s %s ignored: the pool logs in with the credentials Vault issues from %s. "
					+ "Remove %s.", String.join(" and ", set), (set.size() == 1) ? "is" : "are", credentialsPath,
					(set.size() == 1) ? "it" : "them"));
		}
	}

	/**
	 * Warn about {@code vault.*} properties that vault-datasource does not know, with the known one
	 * they most resemble: a misspelled property otherwise silently keeps its default. Environment
	 * variables are left out ({@code VAULT_ADDR} and friends belong to the Vault CLI).
	 * @param environment the environment
	 */
	static void warnAboutUnknownProperties(Environment environment) {
		Set<String> configured = new TreeSet<>();
		for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
			if (!(source instanceof IterableConfigurationPropertySource iterable) || isSystemEnvironment(source)) {
				continue;
			}
			iterable.stream().filter(VAULT::isAncestorOf).map(ConfigurationPropertyName::toString).forEach(configured::add);
		}
		if (configured.isEmpty()) {
			return;
		}
		Set<String> known = knownProperties();
		if (known.isEmpty()) {
			return;
		}
		for (String name : configured) {
			if (!isKnown(name, known)) {
				String suggestion = closest(name, known);
				logger.warn(String.format("%s is not a vault-datasource property and is ignored%s", name,
						(suggestion != null) ? "; did you mean " + suggestion + "?" : "."));
			}
		}
	}

	/**
	 * Return the names of the library's properties, from its configuration metadata. Only this
	 * library declares {@code vault.*} properties, so its own metadata (next to this class) is read;
	 * scanning every jar's metadata (Spring Boot's alone is megabytes) cost each startup about a
	 * tenth of a second. The scan remains the fallback when the library's own file cannot be found.
	 * @return the property names
	 */
	static Set<String> knownProperties() {
		Set<String> names = new TreeSet<>();
		URL own = ownMetadata();
		if (own != null) {
			try (InputStream in = own.openStream()) {
				addNames(in, names);
			}
			catch (IOException ex) {
				logger.debug("Could not read the library's configuration metadata at " + own, ex);
			}
		}
		if (!names.isEmpty()) {
			return names;
		}
		try {
			Resource[] resources = new PathMatchingResourcePatternResolver(StartupChecks.class.getClassLoader())
				.getResources("classpath*:META-INF/*spring-configuration-metadata.json");
			for (Resource resource : resources) {
				try (InputStream in = resource.getInputStream()) {
					addNames(in, names);
				}
			}
		}
		catch (IOException ex) {
			logger.debug("Could not read the configuration metadata", ex);
		}
		return names;
	}

	private static void addNames(InputStream in, Set<String> names) throws IOException {
		Matcher matcher = METADATA_NAME
			.matcher(properties(StreamUtils.copyToString(in, java.nio.charset.StandardCharsets.UTF_8)));
		while (matcher.find()) {
			names.add(matcher.group(1));
		}
	}

	// The metadata file at the root of the jar (or directory) this class was loaded from.
	static @Nullable URL ownMetadata() {
		String classFile = StartupChecks.class.getName().replace('.', '/') + ".class";
		ClassLoader loader = StartupChecks.class.getClassLoader();
		URL url = (loader != null) ? loader.getResource(classFile) : null;
		if (url == null || !url.toString().endsWith(classFile)) {
			return null;
		}
		String root = url.toString().substring(0, url.toString().length() - classFile.length());
		try {
			return URI.create(root + "META-INF/spring-configuration-metadata.json").toURL();
		}
		catch (IllegalArgumentException | java.net.MalformedURLException ex) {
			return null;
		}
	}

	// The "properties" array only: "groups" name prefixes such as vault.lease, which are no property.
	private static String properties(String metadata) {
		int start = metadata.indexOf("\"properties\"");
		if (start < 0) {
			return "";
		}
		int end = metadata.indexOf("\"hints\"", start);
		int groups = metadata.indexOf("\"groups\"", start);
		if (groups >= 0 && (end < 0 || groups < end)) {
			end = groups;
		}
		return (end < 0) ? metadata.substring(start) : metadata.substring(start, end);
	}

	private static boolean isKnown(String name, Set<String> known) {
		if (known.contains(name)) {
			return true;
		}
		// Map-valued properties: the metadata names the map, the environment names its entries.
		for (String candidate : known) {
			if (name.startsWith(candidate + ".")) {
				return true;
			}
		}
		return false;
	}

	private static boolean isSystemEnvironment(ConfigurationPropertySource source) {
		Object underlying = source.getUnderlyingSource();
		return underlying instanceof org.springframework.core.env.PropertySource<?> propertySource
				&& StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME.equals(propertySource.getName());
	}

	private static @Nullable String closest(String name, Collection<String> known) {
		String best = null;
		int bestDistance = Integer.MAX_VALUE;
		for (String candidate : known) {
			int distance = distance(name, candidate);
			if (distance < bestDistance) {
				bestDistance = distance;
				best = candidate;
			}
		}
		return (bestDistance <= Math.max(3, name.length() / 5)) ? best : null;
	}

	private static int distance(String a, String b) {
		int[] previous = new int[b.length() + 1];
		int[] current = new int[b.length() + 1];
		for (int j = 0; j <= b.length(); j++) {
			previous[j] = j;
		}
		for (int i = 1; i <= a.length(); i++) {
			current[0] = i;
			for (int j = 1; j <= b.length(); j++) {
				int cost = (a.charAt(i - 1) == b.charAt(j - 1)) ? 0 : 1;
				current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
			}
			int[] swap = previous;
			previous = current;
			current = swap;
		}
		return previous[b.length()];
	}

	private static void between(String property, double value, double low, double high, String example) {
		if (!(value > low && value < high)) {
			throw invalid(property, value, "between " + (int) low + " and " + (int) high + " (exclusive)", example);
		}
	}

	private static void positive(String property, @Nullable Duration value, String example) {
		if (value == null || value.isNegative() || value.isZero()) {
			throw invalid(property, value, "a positive duration", example);
		}
	}

	private static void notNegative(String property, @Nullable Duration value, String example) {
		if (value == null || value.isNegative()) {
			throw invalid(property, value, "zero or a positive duration", example);
		}
	}

	private static VaultDataSourceException invalid(String property, @Nullable Object value, String range,
			String example) {
		return new VaultDataSourceException(
				String.format(Locale.ROOT, "%s=%s is out of range: it must be %s.", property, value, range),
				"Consider the following: set " + property + " to " + range + ", for example " + property + "="
						+ example + ", or remove it to use the default.",
				null);
	}

}
