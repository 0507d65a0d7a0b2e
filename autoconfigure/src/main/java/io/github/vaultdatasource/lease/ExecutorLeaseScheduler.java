package io.github.vaultdatasource.lease;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * A {@link LeaseScheduler} on one private daemon thread, named after the data source. It is not a
 * Spring bean, so it never displaces the application's own task scheduler.
 */
public final class ExecutorLeaseScheduler implements LeaseScheduler {

	private static final Log logger = LogFactory.getLog(ExecutorLeaseScheduler.class);

	private final ScheduledThreadPoolExecutor executor;

	private final Duration shutdownGrace;

	public ExecutorLeaseScheduler(String name, Duration shutdownGrace) {
		this.shutdownGrace = shutdownGrace;
		this.executor = new ScheduledThreadPoolExecutor(1, (runnable) -> {
			Thread thread = new Thread(runnable, "vault-lease-" + name);
			thread.setDaemon(true);
			return thread;
		});
		this.executor.setRemoveOnCancelPolicy(true);
		this.executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
	}

	@Override
	public Cancellable schedule(Runnable task, Duration delay) {
		ScheduledFuture<?> future = this.executor.schedule(() -> {
			try {
				task.run();
			}
			catch (RuntimeException | Error ex) {
				logger.error("Lease task failed unexpectedly", ex);
			}
		}, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
		return () -> future.cancel(false);
	}

	/**
	 * Return the underlying executor, for tests that wait for idleness.
	 * @return the executor
	 */
	ScheduledExecutorService executor() {
		return this.executor;
	}

	@Override
	public void close() {
		this.executor.shutdown();
		try {
			if (!this.executor.awaitTermination(this.shutdownGrace.toMillis(), TimeUnit.MILLISECONDS)) {
				this.executor.shutdownNow();
			}
		}
		catch (InterruptedException ex) {
			this.executor.shutdownNow();
			Thread.currentThread().interrupt();
		}
	}

}
