package io.github.vaultdatasource.benchmarks;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The figures of a run: table rows (each with how many runs and their spread, and the target
 * when there is one) and the raw figures of every scenario for the JSON file.
 */
final class Report {

	private final List<Row> rows = new ArrayList<>();

	private final Map<String, Object> raw = new LinkedHashMap<>();

	void row(String scenario, String figure, String value, String runs, String target, Boolean met) {
		this.rows.add(new Row(scenario, figure, value, runs, target, met));
	}

	void raw(String key, Object value) {
		this.raw.put(key, value);
	}

	Map<String, Object> raw() {
		return this.raw;
	}

	List<Row> rows() {
		return this.rows;
	}

	void printTable(PrintStream out) {
		String[] headers = { "scenario", "figure", "value", "runs / spread", "target", "met" };
		int[] widths = new int[headers.length];
		List<String[]> cells = new ArrayList<>();
		cells.add(headers);
		for (Row row : this.rows) {
			cells.add(new String[] { row.scenario(), row.figure(), row.value(), row.runs(), row.target(),
					(row.met() == null) ? "" : (row.met() ? "yes" : "NO") });
		}
		for (String[] line : cells) {
			for (int i = 0; i < line.length; i++) {
				widths[i] = Math.max(widths[i], line[i].length());
			}
		}
		for (int l = 0; l < cells.size(); l++) {
			StringBuilder text = new StringBuilder("|");
			for (int i = 0; i < headers.length; i++) {
				text.append(' ').append(pad(cells.get(l)[i], widths[i])).append(" |");
			}
			out.println(text);
			if (l == 0) {
				StringBuilder rule = new StringBuilder("|");
				for (int width : widths) {
					rule.append('-').append("-".repeat(width)).append("-|");
				}
				out.println(rule);
			}
		}
	}

	private static String pad(String text, int width) {
		return text + " ".repeat(width - text.length());
	}

	void writeJson(Path file) throws IOException {
		Map<String, Object> document = new LinkedHashMap<>();
		List<Map<String, Object>> table = new ArrayList<>();
		for (Row row : this.rows) {
			Map<String, Object> line = new LinkedHashMap<>();
			line.put("scenario", row.scenario());
			line.put("figure", row.figure());
			line.put("value", row.value());
			line.put("runsAndSpread", row.runs());
			line.put("target", row.target());
			line.put("met", row.met());
			table.add(line);
		}
		document.put("table", table);
		document.putAll(this.raw);
		JsonMapper.builder()
			.enable(SerializationFeature.INDENT_OUTPUT)
			.build()
			.writeValue(file.toFile(), document);
	}

	static String f(String format, Object... args) {
		return String.format(Locale.ROOT, format, args);
	}

	record Row(String scenario, String figure, String value, String runs, String target, Boolean met) {

	}

}
