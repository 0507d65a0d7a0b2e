package io.github.vaultdatasource.lease;

import java.time.Duration;

/**
 * Runs lease work, one task at a time, after a delay. Production code uses
 * {@link ExecutorLeaseScheduler}; tests drive time themselves.
 */
public interface LeaseScheduler extends AutoCloseable {

	/**
	 * Run a task after a delay.
	 * @param task the task
	 * @param delay the delay, zero or negative to run as soon as possible
	 * @return a handle to cancel the task
	 */
	Cancellable schedule(Runnable task, Duration delay);

	/**
	 * Stop running tasks; a task that is running is interrupted after a grace period.
	 */
	@Override
	void close();

	/**
	 * A scheduled task that can be cancelled.
	 */
	@FunctionalInterface
	interface Cancellable {

		/**
		 * Cancel the task unless it already started.
		 */
		void cancel();

	}

}
