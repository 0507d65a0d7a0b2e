package io.github.vaultdatasource.testsupport;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;

/**
 * Runs queries continuously on several threads through a data source and records, for each
 * query, when it ran, which database user served it, and how it failed if it did. A counting load
 * ({@link #startCounting}) keeps only the failures and counts the rest, for runs long enough that a
 * record per query would fill the heap a soak measures.
 */
public final class QueryLoad implements AutoCloseable {

	private static final String QUERY = "SELECT current_user, count(*) FROM items";

	private final DataSource dataSource;

	private final List<Thread> threads = new ArrayList<>();

	private final ConcurrentLinkedQueue<Result> results = new ConcurrentLinkedQueue<>();

	private final boolean keepSuccesses;

	private final LongAdder succeeded = new LongAdder();

	private final Set<String> users = ConcurrentHashMap.newKeySet();

	private volatile boolean running = true;

	private QueryLoad(DataSource dataSource, boolean keepSuccesses) {
		this.dataSource = dataSource;
		this.keepSuccesses = keepSuccesses;
	}

	/**
	 * Start the load.
	 * @param dataSource where to run queries
	 * @param threadCount how many threads run queries
	 * @return the running load
	 */
	public static QueryLoad start(DataSource dataSource, int threadCount) {
		return start(dataSource, threadCount, true);
	}

	/**
	 * Start a load that records only its failures: {@link #stop()} returns those, and
	 * {@link #succeeded()} and {@link #users()} tell the rest.
	 * @param dataSource where to run queries
	 * @param threadCount how many threads run queries
	 * @return the running load
	 */
	public static QueryLoad startCounting(DataSource dataSource, int threadCount) {
		return start(dataSource, threadCount, false);
	}

	private static QueryLoad start(DataSource dataSource, int threadCount, boolean keepSuccesses) {
		QueryLoad load = new QueryLoad(dataSource, keepSuccesses);
		for (int i = 0; i < threadCount; i++) {
			Thread thread = new Thread(load::loop, "query-load-" + i);
			thread.setDaemon(true);
			load.threads.add(thread);
			thread.start();
		}
		return load;
	}

	private void loop() {
		while (this.running) {
			long started = System.nanoTime();
			try (Connection connection = this.dataSource.getConnection();
					Statement statement = connection.createStatement();
					ResultSet rows = statement.executeQuery(QUERY)) {
				rows.next();
				String user = rows.getString(1);
				this.succeeded.increment();
				this.users.add(user);
				if (this.keepSuccesses) {
					this.results.add(new Result(started, System.nanoTime(), user, null, null));
				}
			}
			catch (SQLException ex) {
				if (poolClosed()) {
					// The context closed under a load nobody stopped (a test that failed before its
					// stop()): every query would now fail at once, and recording those failures in a
					// tight loop filled the heap and hung the rest of the test class.
					this.running = false;
					return;
				}
				this.results.add(new Result(started, System.nanoTime(), null, ex.getSQLState(), ex.getMessage()));
			}
		}
	}

	private boolean poolClosed() {
		return this.dataSource instanceof HikariDataSource hikari && hikari.isClosed();
	}

	/**
	 * Stop the load and return every result (only the failures of a counting load), in start order.
	 * @return the results
	 */
	public List<Result> stop() {
		this.running = false;
		for (Thread thread : this.threads) {
			try {
				thread.join(TimeUnit.SECONDS.toMillis(30));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		List<Result> all = new ArrayList<>(this.results);
		all.sort((a, b) -> Long.compare(a.startNanos(), b.startNanos()));
		return Collections.unmodifiableList(all);
	}

	/**
	 * Return the results so far.
	 * @return a copy of the results
	 */
	public List<Result> snapshot() {
		return new ArrayList<>(this.results);
	}

	/**
	 * Return how many queries succeeded so far.
	 * @return the count
	 */
	public long succeeded() {
		return this.succeeded.sum();
	}

	/**
	 * Return the database users that served queries so far.
	 * @return the users
	 */
	public Set<String> users() {
		return Set.copyOf(this.users);
	}

	@Override
	public void close() {
		this.running = false;
	}

	/**
	 * Count failures by SQLState.
	 * @param results the results
	 * @return failures per SQLState
	 */
	public static Map<String, Long> failuresByState(List<Result> results) {
		Map<String, Long> counts = new TreeMap<>();
		for (Result result : results) {
			if (!result.succeeded()) {
				counts.merge(String.valueOf(result.sqlState()), 1L, Long::sum);
			}
		}
		return counts;
	}

	/**
	 * One query.
	 *
	 * @param startNanos when it started ({@link System#nanoTime()})
	 * @param endNanos when it ended
	 * @param user the database user that served it, {@code null} on failure
	 * @param sqlState the SQLState of the failure
	 * @param error the failure message
	 */
	public record Result(long startNanos, long endNanos, String user, String sqlState, String error) {

		public boolean succeeded() {
			return this.user != null;
		}

		public double millis() {
			return (this.endNanos - this.startNanos) / 1_000_000.0;
		}

	}

}
