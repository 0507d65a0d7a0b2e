package io.github.vaultdatasource.lease;

import java.time.Duration;

/**
 * Runs lease work, one task at a time, after a delay. Production code uses the strands of a
 * {@link LeaseExecutor}; tests drive time themselves.
 */
public interface LeaseScheduler {

	/**
	 * Run a task after a delay.
	 * @param task the task
	 * @param delay the delay, zero or negative to run as soon as possible
	 * @return a handle to cancel the task
	 * @throws java.util.concurrent.RejectedExecutionException once closed
	 */
	Cancellable schedule(Runnable task, Duration delay);

	/**
	 * Stop: drop the tasks not yet started and wait, at most {@code grace}, for the one running.
	 * @param grace the longest wait
	 * @return whether no task is running any more
	 */
	boolean close(Duration grace);

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
