package io.github.vaultdatasource.benchmarks.load;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongPredicate;

import org.jspecify.annotations.Nullable;

/**
 * Every query of a load run: start (nanoseconds from the run's origin), latency in nanoseconds,
 * and outcome (the index of the database user that served it, or a failure with its SQLState).
 * Immutable once built; sorted by start.
 */
public final class Samples {

	private final long[] starts;

	private final long[] latencies;

	private final int[] outcomes;

	private final @Nullable String[] failureStates;

	private final List<String> users;

	Samples(long[] starts, long[] latencies, int[] outcomes, @Nullable String[] failureStates, List<String> users) {
		this.starts = starts;
		this.latencies = latencies;
		this.outcomes = outcomes;
		this.failureStates = failureStates;
		this.users = users;
	}

	static Samples merge(List<Samples> parts, List<String> users) {
		int total = parts.stream().mapToInt(Samples::size).sum();
		Integer[] order = new Integer[total];
		long[] starts = new long[total];
		long[] latencies = new long[total];
		int[] outcomes = new int[total];
		String[] states = new String[total];
		int at = 0;
		for (Samples part : parts) {
			System.arraycopy(part.starts, 0, starts, at, part.size());
			System.arraycopy(part.latencies, 0, latencies, at, part.size());
			System.arraycopy(part.outcomes, 0, outcomes, at, part.size());
			System.arraycopy(part.failureStates, 0, states, at, part.size());
			at += part.size();
		}
		for (int i = 0; i < total; i++) {
			order[i] = i;
		}
		Arrays.sort(order, Comparator.comparingLong((Integer i) -> starts[i]));
		long[] sortedStarts = new long[total];
		long[] sortedLatencies = new long[total];
		int[] sortedOutcomes = new int[total];
		String[] sortedStates = new String[total];
		for (int i = 0; i < total; i++) {
			int from = order[i];
			sortedStarts[i] = starts[from];
			sortedLatencies[i] = latencies[from];
			sortedOutcomes[i] = outcomes[from];
			sortedStates[i] = states[from];
		}
		return new Samples(sortedStarts, sortedLatencies, sortedOutcomes, sortedStates, users);
	}

	public int size() {
		return this.starts.length;
	}

	public long start(int i) {
		return this.starts[i];
	}

	public long latency(int i) {
		return this.latencies[i];
	}

	public boolean succeeded(int i) {
		return this.outcomes[i] >= 0;
	}

	/**
	 * Return the user that served a query.
	 * @param i the sample
	 * @return the database user, {@code null} for a failed query
	 */
	public @Nullable String user(int i) {
		return (this.outcomes[i] >= 0) ? this.users.get(this.outcomes[i]) : null;
	}

	public @Nullable String failureState(int i) {
		return this.failureStates[i];
	}

	public List<String> users() {
		return this.users;
	}

	public long failures() {
		return Arrays.stream(this.outcomes).filter((outcome) -> outcome < 0).count();
	}

	public long failures(LongPredicate startFilter) {
		long count = 0;
		for (int i = 0; i < size(); i++) {
			if (this.outcomes[i] < 0 && startFilter.test(this.starts[i])) {
				count++;
			}
		}
		return count;
	}

	public long count(LongPredicate startFilter) {
		long count = 0;
		for (int i = 0; i < size(); i++) {
			if (startFilter.test(this.starts[i])) {
				count++;
			}
		}
		return count;
	}

	/**
	 * Return failed queries counted by SQLState.
	 * @return SQLState to count
	 */
	public Map<String, Long> failuresByState() {
		return failuresByState((start) -> true);
	}

	/**
	 * Count the failed queries that started where the filter says, by SQLState.
	 * @param startFilter which start times (nanoseconds since the origin) count
	 * @return the counts by SQLState
	 */
	public Map<String, Long> failuresByState(LongPredicate startFilter) {
		Map<String, Long> counts = new TreeMap<>();
		for (int i = 0; i < size(); i++) {
			if (this.outcomes[i] < 0 && startFilter.test(this.starts[i])) {
				counts.merge(this.failureStates[i], 1L, Long::sum);
			}
		}
		return counts;
	}

	/**
	 * Return the latencies, in nanoseconds, of the successful queries whose start passes a filter.
	 * @param startFilter which starts to take
	 * @return the latencies, sorted
	 */
	public long[] latencies(LongPredicate startFilter) {
		long[] selected = new long[size()];
		int n = 0;
		for (int i = 0; i < size(); i++) {
			if (this.outcomes[i] >= 0 && startFilter.test(this.starts[i])) {
				selected[n++] = this.latencies[i];
			}
		}
		long[] sorted = Arrays.copyOf(selected, n);
		Arrays.sort(sorted);
		return sorted;
	}

	/**
	 * Write the samples as text, one query a line, for another JVM to read.
	 * @param file the file
	 * @throws IOException on failure
	 */
	public void write(Path file) throws IOException {
		try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
			out.write("users " + String.join(" ", this.users));
			out.newLine();
			for (int i = 0; i < size(); i++) {
				out.write(this.starts[i] + " " + this.latencies[i] + " " + this.outcomes[i] + " "
						+ ((this.failureStates[i] != null) ? this.failureStates[i] : "-"));
				out.newLine();
			}
		}
	}

	/**
	 * Read samples written by {@link #write(Path)}.
	 * @param file the file
	 * @return the samples
	 * @throws IOException on failure
	 */
	public static Samples read(Path file) throws IOException {
		try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
			String header = in.readLine();
			List<String> users = new ArrayList<>();
			if (header != null && header.length() > "users ".length()) {
				users.addAll(Arrays.asList(header.substring("users ".length()).split(" ")));
			}
			List<String> lines = in.lines().toList();
			int n = lines.size();
			long[] starts = new long[n];
			long[] latencies = new long[n];
			int[] outcomes = new int[n];
			String[] states = new String[n];
			for (int i = 0; i < n; i++) {
				String[] fields = lines.get(i).split(" ");
				starts[i] = Long.parseLong(fields[0]);
				latencies[i] = Long.parseLong(fields[1]);
				outcomes[i] = Integer.parseInt(fields[2]);
				states[i] = "-".equals(fields[3]) ? null : fields[3];
			}
			return new Samples(starts, latencies, outcomes, states, users);
		}
	}

}
