package io.github.vaultdatasource.benchmarks.load;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

/**
 * Runs the benchmark query continuously on several threads through a data source, each thread
 * borrowing a connection per query as a request handler would, and records every query: when it
 * started, how long it took, which database user served it, and its SQLState if it failed.
 * <p>
 * Recording is allocation-free on the hot path (primitive arrays per thread), so that the
 * recorder costs the same whichever pool is measured.
 */
public final class QueryLoad {

	/** The query: a catalogue lookup plus a read of the application's table, as the integration tests run. */
	public static final String QUERY = "SELECT current_user, count(*) FROM items";

	private final DataSource dataSource;

	private final long originNanos;

	private final List<Worker> workers = new ArrayList<>();

	private final Map<String, Integer> users = new ConcurrentHashMap<>();

	private final List<String> userNames = new ArrayList<>();

	private volatile boolean running = true;

	private QueryLoad(DataSource dataSource, long originNanos) {
		this.dataSource = dataSource;
		this.originNanos = originNanos;
	}

	/**
	 * Start the load.
	 * @param dataSource where to run queries
	 * @param threads how many threads run queries
	 * @param originNanos the {@link System#nanoTime()} that sample times are relative to
	 * @return the running load
	 */
	public static QueryLoad start(DataSource dataSource, int threads, long originNanos) {
		QueryLoad load = new QueryLoad(dataSource, originNanos);
		for (int i = 0; i < threads; i++) {
			Worker worker = new Worker(load);
			Thread thread = new Thread(worker, "bench-query-" + i);
			thread.setDaemon(true);
			worker.thread = thread;
			load.workers.add(worker);
		}
		load.workers.forEach((worker) -> worker.thread.start());
		return load;
	}

	/**
	 * Stop the load, wait for the queries in flight, and return every sample.
	 * @return the samples, in start order
	 */
	public Samples stop() {
		this.running = false;
		for (Worker worker : this.workers) {
			try {
				worker.thread.join(TimeUnit.SECONDS.toMillis(60));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		List<Samples> parts = new ArrayList<>();
		for (Worker worker : this.workers) {
			parts.add(worker.samples());
		}
		List<String> names;
		synchronized (this.userNames) {
			names = List.copyOf(this.userNames);
		}
		return Samples.merge(parts, names);
	}

	private int userIndex(String user) {
		Integer index = this.users.get(user);
		if (index != null) {
			return index;
		}
		synchronized (this.userNames) {
			return this.users.computeIfAbsent(user, (name) -> {
				this.userNames.add(name);
				return this.userNames.size() - 1;
			});
		}
	}

	private static final class Worker implements Runnable {

		private final QueryLoad load;

		private Thread thread;

		private long[] starts = new long[1 << 14];

		private long[] latencies = new long[1 << 14];

		private int[] outcomes = new int[1 << 14];

		private int size;

		private final List<String> failureStates = new ArrayList<>();

		Worker(QueryLoad load) {
			this.load = load;
		}

		@Override
		public void run() {
			DataSource dataSource = this.load.dataSource;
			while (this.load.running) {
				long started = System.nanoTime();
				int outcome;
				try (Connection connection = dataSource.getConnection();
						Statement statement = connection.createStatement();
						ResultSet rows = statement.executeQuery(QUERY)) {
					rows.next();
					outcome = this.load.userIndex(rows.getString(1));
				}
				catch (SQLException ex) {
					// Negative outcomes index the failure's SQLState.
					this.failureStates.add(String.valueOf(ex.getSQLState()));
					outcome = -this.failureStates.size();
				}
				record(started - this.load.originNanos, System.nanoTime() - started, outcome);
			}
		}

		private void record(long start, long latency, int outcome) {
			if (this.size == this.starts.length) {
				int grown = this.size * 2;
				this.starts = java.util.Arrays.copyOf(this.starts, grown);
				this.latencies = java.util.Arrays.copyOf(this.latencies, grown);
				this.outcomes = java.util.Arrays.copyOf(this.outcomes, grown);
			}
			this.starts[this.size] = start;
			this.latencies[this.size] = latency;
			this.outcomes[this.size] = outcome;
			this.size++;
		}

		Samples samples() {
			String[] states = new String[this.size];
			for (int i = 0; i < this.size; i++) {
				if (this.outcomes[i] < 0) {
					states[i] = this.failureStates.get(-this.outcomes[i] - 1);
				}
			}
			return new Samples(java.util.Arrays.copyOf(this.starts, this.size),
					java.util.Arrays.copyOf(this.latencies, this.size), java.util.Arrays.copyOf(this.outcomes, this.size),
					states, List.of());
		}

	}

}
