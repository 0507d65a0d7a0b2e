package io.github.vaultdatasource.lease;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;

/**
 * A {@link LeaseScheduler} that runs tasks only when a test advances its {@link MutableClock}:
 * due tasks run in order of due time, then of scheduling, each with the clock at its due time.
 * Like {@link ExecutorLeaseScheduler} it survives a task that throws; it records the exception.
 */
final class ManualScheduler implements LeaseScheduler {

	private static final int MAX_TASKS_PER_ADVANCE = 10_000;

	private final MutableClock clock;

	private final List<Task> tasks = new ArrayList<>();

	private final List<RuntimeException> taskFailures = new ArrayList<>();

	private long sequence;

	private boolean closed;

	ManualScheduler(MutableClock clock) {
		this.clock = clock;
	}

	@Override
	public Cancellable schedule(Runnable task, Duration delay) {
		if (this.closed) {
			throw new RejectedExecutionException("Scheduler is closed");
		}
		Instant due = this.clock.instant().plus(delay.isNegative() ? Duration.ZERO : delay);
		Task scheduled = new Task(task, due, this.sequence++);
		this.tasks.add(scheduled);
		return () -> this.tasks.remove(scheduled);
	}

	/**
	 * Move time forward, running every task that falls due on the way, including tasks those
	 * tasks schedule.
	 * @param duration how far to move
	 */
	void advance(Duration duration) {
		Instant until = this.clock.instant().plus(duration);
		int ran = 0;
		Optional<Task> next;
		while ((next = nextDue(until)).isPresent()) {
			if (++ran > MAX_TASKS_PER_ADVANCE) {
				throw new IllegalStateException("Tasks keep scheduling themselves without end");
			}
			Task task = next.get();
			this.tasks.remove(task);
			if (task.due().isAfter(this.clock.instant())) {
				this.clock.setInstant(task.due());
			}
			try {
				task.runnable().run();
			}
			catch (RuntimeException ex) {
				this.taskFailures.add(ex);
			}
		}
		if (until.isAfter(this.clock.instant())) {
			this.clock.setInstant(until);
		}
	}

	/**
	 * Run the tasks that are due now.
	 */
	void runDue() {
		advance(Duration.ZERO);
	}

	/**
	 * Return when the earliest pending task is due.
	 * @return the due time, empty when nothing is pending
	 */
	Optional<Instant> nextDueAt() {
		return this.tasks.stream().min(Task.ORDER).map(Task::due);
	}

	int pendingTasks() {
		return this.tasks.size();
	}

	List<RuntimeException> taskFailures() {
		return this.taskFailures;
	}

	boolean isClosed() {
		return this.closed;
	}

	@Override
	public void close() {
		this.closed = true;
		this.tasks.clear();
	}

	private Optional<Task> nextDue(Instant until) {
		return this.tasks.stream().filter((task) -> !task.due().isAfter(until)).min(Task.ORDER);
	}

	private record Task(Runnable runnable, Instant due, long sequence) {

		static final Comparator<Task> ORDER = Comparator.comparing(Task::due).thenComparingLong(Task::sequence);

	}

}
