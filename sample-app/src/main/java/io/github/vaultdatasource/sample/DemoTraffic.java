package io.github.vaultdatasource.sample;

import java.util.Map;
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

import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.EventListener;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.web.client.RestClient;

/**
 * Steady HTTP traffic against the app's own REST API for the demo (writes and reads of items, and
 * which database user served each request), with a line per renewal and rotation and a summary
 * on shutdown. Enabled with {@code sample.traffic.enabled=true}.
 */
class DemoTraffic implements SmartLifecycle {

	private static final Log logger = LogFactory.getLog(DemoTraffic.class);

	private final int threads;

	private final ExecutorService executor;

	private final AtomicLong requests = new AtomicLong();

	private final AtomicLong failures = new AtomicLong();

	private final AtomicLong rotations = new AtomicLong();

	private final AtomicLong renewals = new AtomicLong();

	private final Set<String> users = ConcurrentHashMap.newKeySet();

	private volatile boolean running = true;

	private volatile boolean revokedOnShutdown;

	private volatile boolean lifecycleRunning;

	DemoTraffic(int threads) {
		this.threads = threads;
		this.executor = Executors.newFixedThreadPool(threads);
	}

	@EventListener
	void start(ApplicationReadyEvent event) {
		int port = (event.getApplicationContext() instanceof WebServerApplicationContext web)
				? web.getWebServer().getPort() : 8080;
		RestClient http = RestClient.create("http://127.0.0.1:" + port);
		logger.info("Demo traffic: " + this.threads + " threads calling POST /api/items and GET /api/whoami");
		for (int i = 0; i < this.threads; i++) {
			int worker = i;
			this.executor.execute(() -> loop(http, worker));
		}
	}

	private void loop(RestClient http, int worker) {
		long n = 0;
		while (this.running) {
			try {
				if (n++ % 2 == 0) {
					http.post().uri("/api/items").body(Map.of("name", "demo-" + worker + "-" + n)).retrieve().toBodilessEntity();
				}
				else {
					Map<String, Object> me = http.get().uri("/api/whoami").retrieve()
						.body(new ParameterizedTypeReference<Map<String, Object>>() {
						});
					if (me != null && me.get("databaseUser") instanceof String user) {
						this.users.add(user);
					}
				}
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
					logger.warn("Demo request failed: " + ex.getMessage());
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
			this.revokedOnShutdown = true;
			logger.info("[demo] lease " + event.getShortLeaseId() + " of " + event.getUsername()
					+ " revoked on shutdown");
			System.out.println("DEMO-REVOKED-ON-SHUTDOWN " + event.getUsername());
		}
	}

	@Override
	public void start() {
		// Traffic starts once the application is ready (the port is known then); see start(ApplicationReadyEvent).
		this.lifecycleRunning = true;
	}

	/**
	 * Stop the traffic and print the summary line. The last phase stops first: before the web
	 * server shuts down (so no request is cut off) and before the pool closes and the lease is revoked.
	 */
	@Override
	public void stop() {
		this.running = false;
		this.executor.shutdown();
		try {
			this.executor.awaitTermination(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		this.lifecycleRunning = false;
		System.out.println(summary());
	}

	@Override
	public boolean isRunning() {
		return this.lifecycleRunning;
	}

	@Override
	public int getPhase() {
		return Integer.MAX_VALUE;
	}

	String summary() {
		return String.format("DEMO-SUMMARY requests=%d failed=%d rotations=%d renewals=%d users=%d", this.requests.get(),
				this.failures.get(), this.rotations.get(), this.renewals.get(), this.users.size());
	}

	long requests() {
		return this.requests.get();
	}

	long failures() {
		return this.failures.get();
	}

	long rotations() {
		return this.rotations.get();
	}

	int users() {
		return this.users.size();
	}

	boolean revokedOnShutdown() {
		return this.revokedOnShutdown;
	}

}
