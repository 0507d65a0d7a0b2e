package io.github.vaultdatasource.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.github.vaultdatasource.benchmarks.IncumbentAnalysis.Segment;
import io.github.vaultdatasource.benchmarks.IncumbentAnalysis.Swap;
import io.github.vaultdatasource.benchmarks.VaultRequestCounter.Request;
import io.github.vaultdatasource.benchmarks.load.Samples;

import static io.github.vaultdatasource.benchmarks.IncumbentAnalysis.percent;
import static io.github.vaultdatasource.benchmarks.Report.f;

/**
 * Turns an incumbent's run and its analysis into table rows, JSON and a plot panel.
 */
final class IncumbentReport {

	private final SuiteContext suite;

	private final Report report;

	IncumbentReport(SuiteContext suite) {
		this.suite = suite;
		this.report = suite.report();
	}

	void write(String label, String key, Samples samples, IncumbentAnalysis a, List<Request> requests,
			List<String> eventLines, Map<String, Object> setup, int workers, Duration duration, boolean plot,
			long passwordsInLog) {
		long crossing = a.crossing;
		String runs = f("1 run, %d workers, %d s, max_ttl crossed at %.1f s", workers, duration.toSeconds(),
				crossing / 1e9);
		this.report.row("incumbent", label + ": failed before max_ttl",
				(crossing > 0) ? f("%d of %d (%.1f%%)", a.failedBefore, a.before, percent(a.failedBefore, a.before))
						: f("n/a: max_ttl passed %.1f s before its load began (slow start)", -crossing / 1e9),
				runs, "", null);
		this.report.row("incumbent", label + ": failed after max_ttl",
				f("%d of %d (%.1f%%) %s", a.failedAfter, a.after, percent(a.failedAfter, a.after),
						samples.failuresByState((start) -> start >= crossing)),
				runs, "", null);
		this.report.row("incumbent", label + ": succeeded queries/s before / after max_ttl",
				f("%.0f / %.0f", a.rateBefore, a.rateAfter),
				runs + "; a drop means workers wait for connections that cannot log in", "", null);
		this.report.row("incumbent", label + ": recovers without restart",
				a.recovered ? f("yes (%d of %d failed in the last 5 s)", a.lastFiveFailed, a.lastFive)
						: f("no: %d of %d queries started in the last 5 s succeeded, %d database user(s) ever served",
								a.lastFive - a.lastFiveFailed, a.lastFive, samples.users().size()),
				runs, "", null);
		this.report.row("incumbent", label + ": failed by SQLState around each max_ttl", segments(a), runs, "", null);
		this.report.row("incumbent", label + ": database users served", Integer.toString(samples.users().size()),
				runs, "", null);
		this.report.row("incumbent", label + ": old user's sessions after each swap", swaps(a), runs
				+ "; sessions counted in pg_stat_activity every 250 ms", "", null);
		String pools = eventLines.stream()
			.filter((line) -> line.startsWith("hikari-pools-alive "))
			.map((line) -> line.split(" ")[1])
			.findFirst()
			.orElse("?");
		this.report.row("incumbent", label + ": HikariCP pools alive at end / old users' sessions at end",
				f("%s / %d sessions of %d old user(s)", pools, a.oldSessionsAtEnd, a.oldUsersWithSessionsAtEnd), runs
						+ "; pools counted by their housekeeper threads in the application's JVM",
				"", null);
		this.report.row("incumbent", label + ": issued passwords in its log", Long.toString(passwordsInLog),
				"occurrences of any password Vault issued in the run (count only; the log is redacted after)", "0",
				passwordsInLog == 0);
		Map<String, Long> byKind = VaultRequestCounter.countByKind(requests);
		long issueCount = byKind.getOrDefault("issue", 0L);
		this.report.row("vault requests", label + ": requests per lease lifetime",
				f("%.2f", (double) requests.size() / Math.max(issueCount, 1)),
				f("counted on the wire, %d lease(s): %s", issueCount, byKind), "", null);
		long originEpochMillis = Long.parseLong(eventLines.get(0).split(" ")[1]);
		List<Request> issues = requests.stream().filter((request) -> request.kind().equals("issue")).toList();
		Map<String, Object> raw = new LinkedHashMap<>(setup);
		raw.put("maxTtlCrossedAtSeconds", crossing / 1e9);
		raw.put("firstFailureAtSeconds", (a.firstFailure >= 0) ? a.firstFailure / 1e9 : null);
		raw.put("issuedAtSeconds",
				issues.stream().map((request) -> secondsSince(request.time(), originEpochMillis)).toList());
		raw.put("leaseOfPoolIssuedAtSeconds", secondsSince(a.issued, originEpochMillis));
		raw.put("queriesBefore", a.before);
		raw.put("failedBefore", a.failedBefore);
		raw.put("queriesAfter", a.after);
		raw.put("failedAfter", a.failedAfter);
		raw.put("failuresByState", samples.failuresByState());
		raw.put("usersServed", samples.users().size());
		raw.put("recovered", a.recovered);
		raw.put("queriesPerSecondBefore", a.rateBefore);
		raw.put("queriesPerSecondAfter", a.rateAfter);
		raw.put("maxTtlCrossingsAtSeconds", a.crossings.stream().map((c) -> c / 1e9).toList());
		raw.put("segments", a.segments.stream().map(IncumbentReport::segmentMap).toList());
		raw.put("swaps", a.swaps.stream().map(IncumbentReport::swapMap).toList());
		raw.put("oldSessionsAtEnd", a.oldSessionsAtEnd);
		raw.put("passwordsInLog", passwordsInLog);
		raw.put("leaseEvents", eventLines.subList(1, eventLines.size()));
		raw.put("vaultRequests", byKind);
		raw.put("latencyBySecond", LatencySeries.bySecond(samples));
		this.report.raw(key, raw);
		if (plot) {
			this.suite.panels()
				.add(new LatencyPlot.Panel(
						f("%s: %d workers; red: failed queries; blank: no query completed; line: max_ttl", label,
								workers),
						samples, new LatencyWindows(List.of()), a.crossings.isEmpty() ? List.of(crossing) : a.crossings,
						0, a.runNanos));
		}
	}

	private static String segments(IncumbentAnalysis a) {
		StringBuilder text = new StringBuilder();
		for (int s = 0; s < a.segments.size(); s++) {
			Segment segment = a.segments.get(s);
			String name = (s == 0) ? "before 1st" : (s == a.segments.size() - 1) ? "after " + ordinal(s) : ordinal(s)
					+ "–" + ordinal(s + 1);
			text.append(text.isEmpty() ? "" : "; ")
				.append(f("%s: %d of %d %s", name, segment.failed(), segment.queries(), segment.failuresByState()));
		}
		text.append(f(" (max_ttl at %s s)", a.crossings.stream().map((c) -> f("%.1f", c / 1e9)).toList()));
		return text.toString();
	}

	private static String ordinal(int n) {
		return switch (n) {
			case 1 -> "1st";
			case 2 -> "2nd";
			case 3 -> "3rd";
			default -> n + "th";
		};
	}

	private static String swaps(IncumbentAnalysis a) {
		if (a.swaps.isEmpty()) {
			return "no swap: one user served the whole run";
		}
		StringBuilder text = new StringBuilder();
		for (Swap swap : a.swaps) {
			text.append(text.isEmpty() ? "" : "; ")
				.append(f("at %.1f s: %d open 1 s after, at most %d, %s", swap.atNanos() / 1e9,
						swap.sessionsAfterOneSecond(), swap.mostSessionsAfter(),
						(swap.closedAfterMillis() != null) ? f("all closed %.1f s after", swap.closedAfterMillis() / 1e3)
								: "still open at the end"));
		}
		return text.toString();
	}

	private static Map<String, Object> segmentMap(Segment segment) {
		Map<String, Object> map = new LinkedHashMap<>();
		map.put("fromSeconds", (segment.fromNanos() == Long.MIN_VALUE) ? null : segment.fromNanos() / 1e9);
		map.put("toSeconds", (segment.toNanos() == Long.MAX_VALUE) ? null : segment.toNanos() / 1e9);
		map.put("queries", segment.queries());
		map.put("failuresByState", segment.failuresByState());
		return map;
	}

	private static Map<String, Object> swapMap(Swap swap) {
		Map<String, Object> map = new LinkedHashMap<>();
		map.put("atSeconds", swap.atNanos() / 1e9);
		map.put("previousUserSessionsAfterOneSecond", swap.sessionsAfterOneSecond());
		map.put("previousUserMostSessionsAfter", swap.mostSessionsAfter());
		map.put("previousUserClosedAfterSeconds",
				(swap.closedAfterMillis() != null) ? swap.closedAfterMillis() / 1e3 : null);
		return map;
	}

	private static double secondsSince(Instant time, long originEpochMillis) {
		return (time.toEpochMilli() - originEpochMillis) / 1000.0;
	}

}
