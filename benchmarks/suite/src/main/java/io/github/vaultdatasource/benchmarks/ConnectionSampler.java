package io.github.vaultdatasource.benchmarks;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts PostgreSQL sessions per Vault-issued user ({@code v-…}) from {@code pg_stat_activity},
 * a few times a second, on a thread of its own with its own administrator connection: what shows
 * whether an application leaves connections of old users open after it moved on (a pool leak).
 */
final class ConnectionSampler implements AutoCloseable {

	private final Thread thread;

	private final List<Snapshot> snapshots = new ArrayList<>();

	private volatile boolean running = true;

	ConnectionSampler(BenchEnvironment env, long intervalMillis) {
		this.thread = new Thread(() -> sample(env, intervalMillis), "bench-pg-sessions");
		this.thread.setDaemon(true);
		this.thread.start();
	}

	private void sample(BenchEnvironment env, long intervalMillis) {
		try (Connection connection = env.adminConnection(); Statement statement = connection.createStatement()) {
			while (this.running) {
				Map<String, Integer> byUser = new TreeMap<>();
				try (ResultSet rows = statement.executeQuery(
						"SELECT usename, count(*) FROM pg_stat_activity WHERE usename LIKE 'v-%' GROUP BY usename")) {
					while (rows.next()) {
						byUser.put(rows.getString(1), rows.getInt(2));
					}
				}
				synchronized (this.snapshots) {
					this.snapshots.add(new Snapshot(System.currentTimeMillis(), byUser));
				}
				Thread.sleep(intervalMillis);
			}
		}
		catch (SQLException ex) {
			SuiteContext.progress("  session sampling stopped: " + ex.getMessage());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * Stop sampling and return every snapshot.
	 * @return the snapshots, in time order
	 */
	List<Snapshot> stop() {
		close();
		synchronized (this.snapshots) {
			return List.copyOf(this.snapshots);
		}
	}

	@Override
	public void close() {
		this.running = false;
		try {
			this.thread.join(5000);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * Sessions per user at one moment.
	 *
	 * @param epochMillis when
	 * @param byUser open sessions per user
	 */
	record Snapshot(long epochMillis, Map<String, Integer> byUser) {

		int of(String user) {
			return this.byUser.getOrDefault(user, 0);
		}

	}

}
