package io.github.vaultdatasource.vault;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * How Vault's error answers and the exceptions around them are read, the same wherever a Vault
 * answer arrives: the node failover and the secrets client.
 */
final class VaultErrors {

	private VaultErrors() {
	}

	/**
	 * Return the messages of a Vault error body, {@code {"errors":["..."]}}, as Vault wrote them
	 * (quotes and all) on one line.
	 * @param body the answer's body
	 * @return the messages, or an empty string when the body is not a Vault error body
	 */
	static String messages(String body) {
		String trimmed = body.trim();
		if (trimmed.startsWith("{") && trimmed.contains("\"errors\"")) {
			try {
				if (VaultJson.parse(trimmed) instanceof Map<?, ?> answer
						&& answer.get("errors") instanceof Collection<?> errors) {
					String text = (errors.size() == 1) ? String.valueOf(errors.iterator().next()) : errors.toString();
					return text.replace('\n', ' ').replace('\t', ' ').trim();
				}
			}
			catch (IllegalArgumentException ex) {
				// Not the JSON it looked like.
			}
		}
		return "";
	}

	/**
	 * Return whether an error message is one a standby answers with (500) while no node is active,
	 * during a leader election.
	 * @param message the error message
	 * @return whether it says there is no active node
	 */
	static boolean isFailoverGap(String message) {
		String lower = message.toLowerCase(Locale.ROOT);
		return lower.contains("active cluster node not found") || lower.contains("node not active")
				|| lower.contains("no active node");
	}

	/**
	 * Return the first exception of a type in a chain of causes.
	 * @param <T> the type
	 * @param ex the outermost exception
	 * @param type the type
	 * @return the exception, or {@code null} when none in the chain is of that type
	 */
	static <T extends Throwable> @Nullable T findCause(Throwable ex, Class<T> type) {
		for (Throwable cause = ex; cause != null; cause = (cause.getCause() != cause) ? cause.getCause() : null) {
			if (type.isInstance(cause)) {
				return type.cast(cause);
			}
		}
		return null;
	}

	/**
	 * Return the innermost cause's type and message, which says what really went wrong.
	 * @param ex the outermost exception
	 * @return such as {@code ConnectException: Connection refused}
	 */
	static String rootMessage(Throwable ex) {
		Throwable root = ex;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		String message = root.getMessage();
		return (message != null) ? root.getClass().getSimpleName() + ": " + message : root.getClass().getSimpleName();
	}

}
