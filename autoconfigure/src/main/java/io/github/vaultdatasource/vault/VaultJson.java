package io.github.vaultdatasource.vault;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * Reads and writes the JSON of Vault's HTTP API: objects, arrays, strings, numbers, booleans and
 * null, as {@link LinkedHashMap}, {@link ArrayList}, {@link String}, {@link Integer} (or
 * {@link Long}, {@link BigInteger} when larger), {@link Double} (or {@link BigDecimal} beyond a
 * double's range), {@link Boolean} and {@code null}: the types a general-purpose JSON library
 * gives for an untyped {@code Map}. Vault's requests and answers are small objects; this keeps a
 * JSON library's few hundred classes out of the application's startup.
 */
final class VaultJson {

	// Deeper than any Vault answer; a hostile body cannot exhaust the stack.
	private static final int MAX_DEPTH = 200;

	private final String text;

	private int position;

	private VaultJson(String text) {
		this.text = text;
	}

	/**
	 * Parse a JSON document.
	 * @param text the document
	 * @return its value
	 * @throws IllegalArgumentException when the text is not one JSON value
	 */
	static @Nullable Object parse(String text) {
		VaultJson parser = new VaultJson(text);
		parser.skipWhitespace();
		Object value = parser.value(0);
		parser.skipWhitespace();
		if (parser.position != text.length()) {
			throw parser.error("unexpected content after the value");
		}
		return value;
	}

	/**
	 * Write a value as JSON.
	 * @param value a map, iterable, array of objects, string, number, boolean or {@code null}
	 * @return the JSON text
	 * @throws IllegalArgumentException for a value of another type, or a number JSON cannot hold
	 */
	static String write(@Nullable Object value) {
		StringBuilder out = new StringBuilder();
		write(value, out, 0);
		return out.toString();
	}

	/**
	 * Return whether a value can be written by {@link #write(Object)}, without writing it.
	 * @param value the value
	 * @return whether it is made of maps, iterables, strings, numbers, booleans and nulls only
	 */
	static boolean isWritable(@Nullable Object value) {
		return isWritable(value, 0);
	}

	private static boolean isWritable(@Nullable Object value, int depth) {
		if (depth > MAX_DEPTH) {
			return false;
		}
		if (value == null || value instanceof String || value instanceof Boolean || value instanceof Number
				|| value instanceof Character) {
			return true;
		}
		if (value instanceof Map<?, ?> map) {
			return map.values().stream().allMatch((item) -> isWritable(item, depth + 1));
		}
		if (value instanceof Iterable<?> items) {
			for (Object item : items) {
				if (!isWritable(item, depth + 1)) {
					return false;
				}
			}
			return true;
		}
		if (value instanceof Object[] array) {
			return isWritable(List.of(array), depth);
		}
		return false;
	}

	private static void write(@Nullable Object value, StringBuilder out, int depth) {
		if (depth > MAX_DEPTH) {
			throw new IllegalArgumentException("JSON nested deeper than " + MAX_DEPTH);
		}
		if (value == null) {
			out.append("null");
		}
		else if (value instanceof String || value instanceof Character) {
			writeString(value.toString(), out);
		}
		else if (value instanceof Boolean) {
			out.append(value);
		}
		else if (value instanceof Double || value instanceof Float) {
			double number = ((Number) value).doubleValue();
			if (Double.isNaN(number) || Double.isInfinite(number)) {
				throw new IllegalArgumentException("JSON has no number " + number);
			}
			out.append(value);
		}
		else if (value instanceof Number) {
			out.append(value);
		}
		else if (value instanceof Map<?, ?> map) {
			out.append('{');
			boolean first = true;
			for (Map.Entry<?, ?> entry : map.entrySet()) {
				out.append(first ? "" : ",");
				first = false;
				writeString(String.valueOf(entry.getKey()), out);
				out.append(':');
				write(entry.getValue(), out, depth + 1);
			}
			out.append('}');
		}
		else if (value instanceof Iterable<?> items) {
			out.append('[');
			boolean first = true;
			for (Object item : items) {
				out.append(first ? "" : ",");
				first = false;
				write(item, out, depth + 1);
			}
			out.append(']');
		}
		else if (value instanceof Object[] array) {
			write(List.of(array), out, depth);
		}
		else {
			throw new IllegalArgumentException("Cannot write a " + value.getClass().getName() + " as JSON");
		}
	}

	private static void writeString(String value, StringBuilder out) {
		out.append('"');
		for (int i = 0; i < value.length(); i++) {
			char c = value.charAt(i);
			switch (c) {
				case '"' -> out.append("\\\"");
				case '\\' -> out.append("\\\\");
				case '\n' -> out.append("\\n");
				case '\r' -> out.append("\\r");
				case '\t' -> out.append("\\t");
				case '\b' -> out.append("\\b");
				case '\f' -> out.append("\\f");
				default -> {
					if (c < 0x20) {
						out.append(String.format("\\u%04x", (int) c));
					}
					else {
						out.append(c);
					}
				}
			}
		}
		out.append('"');
	}

	private @Nullable Object value(int depth) {
		if (depth > MAX_DEPTH) {
			throw error("nested deeper than " + MAX_DEPTH);
		}
		if (this.position >= this.text.length()) {
			throw error("unexpected end");
		}
		char c = this.text.charAt(this.position);
		return switch (c) {
			case '{' -> object(depth);
			case '[' -> array(depth);
			case '"' -> string();
			case 't' -> literal("true", Boolean.TRUE);
			case 'f' -> literal("false", Boolean.FALSE);
			case 'n' -> literal("null", null);
			default -> {
				if (c == '-' || (c >= '0' && c <= '9')) {
					yield number();
				}
				throw error("unexpected character");
			}
		};
	}

	private Map<String, @Nullable Object> object(int depth) {
		Map<String, @Nullable Object> map = new LinkedHashMap<>();
		this.position++;
		skipWhitespace();
		if (peek() == '}') {
			this.position++;
			return map;
		}
		while (true) {
			skipWhitespace();
			if (peek() != '"') {
				throw error("expected a member name");
			}
			String name = string();
			skipWhitespace();
			expect(':');
			skipWhitespace();
			map.put(name, value(depth + 1));
			skipWhitespace();
			char next = next();
			if (next == '}') {
				return map;
			}
			if (next != ',') {
				throw error("expected ',' or '}'");
			}
		}
	}

	private List<@Nullable Object> array(int depth) {
		List<@Nullable Object> list = new ArrayList<>();
		this.position++;
		skipWhitespace();
		if (peek() == ']') {
			this.position++;
			return list;
		}
		while (true) {
			skipWhitespace();
			list.add(value(depth + 1));
			skipWhitespace();
			char next = next();
			if (next == ']') {
				return list;
			}
			if (next != ',') {
				throw error("expected ',' or ']'");
			}
		}
	}

	private String string() {
		this.position++;
		StringBuilder out = null;
		int start = this.position;
		while (true) {
			if (this.position >= this.text.length()) {
				throw error("unterminated string");
			}
			char c = this.text.charAt(this.position);
			if (c == '"') {
				String tail = this.text.substring(start, this.position);
				this.position++;
				return (out != null) ? out.append(tail).toString() : tail;
			}
			if (c < 0x20) {
				throw error("control character in a string");
			}
			if (c != '\\') {
				this.position++;
				continue;
			}
			if (out == null) {
				out = new StringBuilder();
			}
			out.append(this.text, start, this.position);
			this.position++;
			char escaped = next();
			switch (escaped) {
				case '"', '\\', '/' -> out.append(escaped);
				case 'b' -> out.append('\b');
				case 'f' -> out.append('\f');
				case 'n' -> out.append('\n');
				case 'r' -> out.append('\r');
				case 't' -> out.append('\t');
				case 'u' -> {
					if (this.position + 4 > this.text.length()) {
						throw error("short \\u escape");
					}
					try {
						out.append((char) Integer.parseInt(this.text.substring(this.position, this.position + 4), 16));
					}
					catch (NumberFormatException ex) {
						throw error("bad \\u escape");
					}
					this.position += 4;
				}
				default -> throw error("bad escape");
			}
			start = this.position;
		}
	}

	private Object number() {
		int start = this.position;
		if (peek() == '-') {
			this.position++;
		}
		if (peek() == '0') {
			this.position++;
		}
		else if (!digits()) {
			throw error("expected a digit");
		}
		boolean integral = true;
		if (peek() == '.') {
			integral = false;
			this.position++;
			if (!digits()) {
				throw error("expected a digit after '.'");
			}
		}
		if (peek() == 'e' || peek() == 'E') {
			integral = false;
			this.position++;
			if (peek() == '+' || peek() == '-') {
				this.position++;
			}
			if (!digits()) {
				throw error("expected a digit in the exponent");
			}
		}
		String literal = this.text.substring(start, this.position);
		if (integral) {
			BigInteger value = new BigInteger(literal);
			if (value.bitLength() < 32) {
				return value.intValue();
			}
			return (value.bitLength() < 64) ? (Object) value.longValue() : value;
		}
		double value = Double.parseDouble(literal);
		return Double.isInfinite(value) ? new BigDecimal(literal) : value;
	}

	private boolean digits() {
		int start = this.position;
		while (this.position < this.text.length() && this.text.charAt(this.position) >= '0'
				&& this.text.charAt(this.position) <= '9') {
			this.position++;
		}
		return this.position > start;
	}

	private @Nullable Object literal(String word, @Nullable Object value) {
		if (!this.text.startsWith(word, this.position)) {
			throw error("unexpected literal");
		}
		this.position += word.length();
		return value;
	}

	private void skipWhitespace() {
		while (this.position < this.text.length()) {
			char c = this.text.charAt(this.position);
			if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
				return;
			}
			this.position++;
		}
	}

	private char peek() {
		return (this.position < this.text.length()) ? this.text.charAt(this.position) : '\0';
	}

	private char next() {
		if (this.position >= this.text.length()) {
			throw error("unexpected end");
		}
		return this.text.charAt(this.position++);
	}

	private void expect(char c) {
		if (next() != c) {
			throw error("expected '" + c + "'");
		}
	}

	// The position only: the text may hold a password or a token.
	private IllegalArgumentException error(String problem) {
		return new IllegalArgumentException("Not valid JSON at character " + this.position + ": " + problem);
	}

}
