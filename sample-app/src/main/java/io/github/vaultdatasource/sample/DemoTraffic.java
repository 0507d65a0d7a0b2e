package io.github.vaultdatasource.sample;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.github.vaultdatasource.event.CredentialsRotatedEvent;
import io.github.vaultdatasource.event.LeaseRenewedEvent;
import io.github.vaultdatasource.event.LeaseRevokedEvent;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Steady query traffic for the demo, with a line per renewal and rotation and a summary on
 * shutdown. Enabled with {@code sample.traffic.enabled=true}.
 */
class DemoTraffic implements DisposableBean {

	private static final Log logger = LogFactory.getLog(DemoTraffic.class);

	private final JdbcTemplate jdbc;

	private final int threads;

	private final ExecutorService executor;

	private final AtomicLong requests = new AtomicLong();

	private final AtomicLong failures = new AtomicLong();

	private final AtomicLong rotations = new AtomicLong();

	private final AtomicLong renewals = new AtomicLong();

	private final Set<String> users = ConcurrentHashMap.newKeySet();

	private volatile boolean running = true;

	DemoTraffic(JdbcTemplate jdbc, int threads) {
		this.jdbc = jdbc;
		this.threads = threads;
		this.executor = Executors.newFixedThreadPool(threads);
	}

	@EventListener(ApplicationReadyEvent.class)
	void start() {
		logger.info("Demo traffic: " + this.threads + " threads querying the items table");
		for (int i = 0; i < this.threads; i++) {
			this.executor.execute(this::loop);
		}
	}

	private void loop() {
		while (this.running) {
			try {
				String user = this.jdbc.queryForObject("SELECT current_user FROM items LIMIT 1", String.class);
				this.users.add(user);
				this.requests.incrementAndGet();
				Thread.sleep(5);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
			catch (RuntimeException ex) {
				if (this.running) {
					this.requests.incrementAndGet();
					this.failures.incrementAndGet();
					logger.warn("Demo query failed: " + ex.getMessage());
				}
			}
		}
	}

	@EventListener
	void renewed(LeaseRenewedEvent event) {
		this.renewals.incrementAndGet();
		logger.info(String.format("[demo] renewed lease %s of %s for %ss%s", event.getShortLeaseId(),
				event.getUsername(), event.getGranted().toSeconds(), event.isCapped() ? " (capped by max_ttl)" : ""));
	}

	@EventListener
	void rotated(CredentialsRotatedEvent event) {
		this.rotations.incrementAndGet();
		logger.info(String.format("[demo] rotated %s -> %s (%s) in %d ms; requests so far %d, failed %d",
				event.getPreviousUsername(), event.getUsername(), event.getReason(), event.getTotalDuration().toMillis(),
				this.requests.get(), this.failures.get()));
	}

	@EventListener
	void revoked(LeaseRevokedEvent event) {
		if (event.isShutdown()) {
			logger.info("[demo] lease " + event.getShortLeaseId() + " of " + event.getUsername()
					+ " revoked on shutdown");
			System.out.println("DEMO-REVOKED-ON-SHUTDOWN " + event.getUsername());
		}
	}

	@Override
	public void destroy() throws InterruptedException {
		this.running = false;
		this.executor.shutdown();
		this.executor.awaitTermination(10, TimeUnit.SECONDS);
		System.out.printf("DEMO-SUMMARY requests=%d failed=%d rotations=%d renewals=%d users=%d%n", this.requests.get(),
				this.failures.get(), this.rotations.get(), this.renewals.get(), this.users.size());
	}

}
