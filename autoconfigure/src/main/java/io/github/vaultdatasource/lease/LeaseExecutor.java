package io.github.vaultdatasource.lease;

import java.time.Duration;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * The library's private threads: one small pool of daemon threads named
 * {@code vault-datasource-N}, shared by every managed data source, each of which gets
 * <em>strands</em> — {@link LeaseScheduler}s that run their tasks one at a time, in order, on
 * whichever thread is free. The strands of one data source (its renewals and rotations, the drain
 * of replaced credentials, and Vault calls such as revocations) run side by side, so a slow Vault
 * call never delays a renewal or a drain. One thread keeps the time of delayed tasks; the threads
 * that run them are created only when every existing one is busy (so at most one per strand busy
 * at once, a slow Vault) and end after 30 seconds idle. It is not a {@code TaskScheduler} bean, so
 * it never displaces the application's own scheduler.
 */
public final class LeaseExecutor implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(LeaseExecutor.class);

	private static final Duration KEEP_ALIVE = Duration.ofSeconds(30);

	// Only hands due tasks to their strand: never runs a task itself.
	private final ScheduledThreadPoolExecutor timer;

	// A new thread only when no idle one takes the task (a synchronous hand-off), unlike a
	// scheduled executor, which starts a thread per task until its core size is reached.
	private final ThreadPoolExecutor executor;

	/**
	 * Create an executor whose threads are named {@code vault-datasource-N}.
	 */
	public LeaseExecutor() {
		AtomicInteger threads = new AtomicInteger();
		ThreadFactory factory = (runnable) -> {
			Thread thread = new Thread(runnable, "vault-datasource-" + threads.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		};
		this.timer = new ScheduledThreadPoolExecutor(1, factory);
		this.timer.setRemoveOnCancelPolicy(true);
		this.timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
		this.timer.setKeepAliveTime(KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS);
		this.timer.allowCoreThreadTimeOut(true);
		this.executor = new ThreadPoolExecutor(0, Integer.MAX_VALUE, KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS,
				new SynchronousQueue<>(), factory);
	}

	/**
	 * Return a new strand: a scheduler whose tasks never run concurrently with each other.
	 * @param name the name the running thread carries while a task of this strand runs
	 * @return the strand
	 */
	public LeaseScheduler strand(String name) {
		return new Strand(name);
	}

	/**
	 * Return how many threads exist right now, for tests and benchmarks.
	 * @return the thread count
	 */
	int threads() {
		return this.timer.getPoolSize() + this.executor.getPoolSize();
	}

	@Override
	public void close() {
		this.timer.shutdownNow();
		this.executor.shutdownNow();
	}

	private final class Strand implements LeaseScheduler {

		private final String name;

		private final Queue<Task> ready = new ConcurrentLinkedQueue<>();

		private final Set<Task> waiting = ConcurrentHashMap.newKeySet();

		private final Object lock = new Object();

		private boolean running;

		private @Nullable Thread runner;

		private volatile boolean closed;

		Strand(String name) {
			this.name = name;
		}

		@Override
		public Cancellable schedule(Runnable runnable, Duration delay) {
			if (this.closed) {
				throw new RejectedExecutionException("Strand " + this.name + " is closed");
			}
			Task task = new Task(runnable);
			if (delay.isNegative() || delay.isZero()) {
				enqueue(task);
			}
			else {
				this.waiting.add(task);
				task.timer = LeaseExecutor.this.timer.schedule(() -> enqueue(task), delay.toNanos(),
						TimeUnit.NANOSECONDS);
			}
			return () -> {
				task.cancel();
				this.waiting.remove(task);
			};
		}

		private void enqueue(Task task) {
			this.waiting.remove(task);
			if (task.cancelled || this.closed) {
				return;
			}
			this.ready.add(task);
			dispatch();
		}

		private void dispatch() {
			synchronized (this.lock) {
				if (this.running || this.ready.isEmpty() || this.closed) {
					return;
				}
				this.running = true;
			}
			try {
				LeaseExecutor.this.executor.execute(this::runOne);
			}
			catch (RejectedExecutionException ex) {
				synchronized (this.lock) {
					this.running = false;
					this.lock.notifyAll();
				}
			}
		}

		// One task per turn, then back in line: strands of other data sources get their turn.
		private void runOne() {
			Task task = this.ready.poll();
			Thread thread = Thread.currentThread();
			String threadName = thread.getName();
			try {
				if (task != null && !task.cancelled && !this.closed) {
					synchronized (this.lock) {
						this.runner = thread;
					}
					thread.setName(this.name);
					task.runnable.run();
				}
			}
			catch (RuntimeException | Error ex) {
				logger.error("Task of " + this.name + " failed unexpectedly", ex);
			}
			finally {
				thread.setName(threadName);
				synchronized (this.lock) {
					this.runner = null;
					this.running = false;
					this.lock.notifyAll();
				}
				dispatch();
			}
		}

		@Override
		public boolean close(Duration grace) {
			this.closed = true;
			for (Task task; (task = this.ready.poll()) != null;) {
				task.cancel();
			}
			this.waiting.forEach(Task::cancel);
			this.waiting.clear();
			long deadline = System.nanoTime() + grace.toNanos();
			synchronized (this.lock) {
				if (this.runner == Thread.currentThread()) {
					// Closed from one of its own tasks: that task finishes after this returns.
					return false;
				}
				while (this.running) {
					long left = deadline - System.nanoTime();
					if (left <= 0) {
						return false;
					}
					try {
						TimeUnit.NANOSECONDS.timedWait(this.lock, left);
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
						return false;
					}
				}
				return true;
			}
		}

		@Override
		public String toString() {
			return "Strand[" + this.name + "]";
		}

	}

	private static final class Task {

		private final Runnable runnable;

		private volatile @Nullable Future<?> timer;

		private volatile boolean cancelled;

		Task(Runnable runnable) {
			this.runnable = runnable;
		}

		void cancel() {
			this.cancelled = true;
			Future<?> scheduled = this.timer;
			if (scheduled != null) {
				scheduled.cancel(false);
			}
		}

	}

}
