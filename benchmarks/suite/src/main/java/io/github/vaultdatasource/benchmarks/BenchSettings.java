package io.github.vaultdatasource.benchmarks;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The suite's settings: each is a system property {@code bench.x.y} or an environment variable
 * {@code BENCH_X_Y}, with defaults sized for a 2-core machine and a full run of under 10 minutes.
 * Every value used is recorded in the JSON results.
 */
final class BenchSettings {

	private final Map<String, Object> used = new LinkedHashMap<>();

	String string(String name, String defaultValue) {
		String value = System.getProperty("bench." + name);
		if (value == null) {
			value = System.getenv("BENCH_" + name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
		}
		String result = (value == null || value.isBlank()) ? defaultValue : value.trim();
		this.used.put(name, result);
		return result;
	}

	int integer(String name, int defaultValue) {
		return Integer.parseInt(string(name, Integer.toString(defaultValue)));
	}

	double decimal(String name, double defaultValue) {
		return Double.parseDouble(string(name, Double.toString(defaultValue)));
	}

	/**
	 * Read a duration written as Vault writes TTLs: {@code 500ms}, {@code 3s}, {@code 5m}, {@code 1h}.
	 */
	Duration duration(String name, String defaultValue) {
		return parse(string(name, defaultValue));
	}

	static Duration parse(String text) {
		String value = text.toLowerCase(Locale.ROOT);
		if (value.endsWith("ms")) {
			return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
		}
		long amount = Long.parseLong(value.substring(0, value.length() - 1));
		return switch (value.charAt(value.length() - 1)) {
			case 's' -> Duration.ofSeconds(amount);
			case 'm' -> Duration.ofMinutes(amount);
			case 'h' -> Duration.ofHours(amount);
			default -> throw new IllegalArgumentException("Not a duration: " + text);
		};
	}

	static String vaultTtl(Duration duration) {
		return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + "s" : duration.toMillis() + "ms";
	}

	Map<String, Object> used() {
		return this.used;
	}

}
