package io.github.vaultdatasource.lease;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs lease tasks only when a test advances its {@link MutableClock}: due tasks run in order of
 * due time, then of scheduling, each with the clock at its due time. Its {@link Lane lanes} are
 * the strands a lifecycle gets: separate schedulers (each can be closed on its own) whose tasks
 * share one timeline. Like the real strands it survives a task that throws; it records the
 * exception.
 */
final class ManualScheduler {

	private static final int MAX_TASKS_PER_ADVANCE = 10_000;

	private final MutableClock clock;

	private final List<Task> tasks = new ArrayList<>();

	private final List<RuntimeException> taskFailures = new ArrayList<>();

	private long sequence;

	ManualScheduler(MutableClock clock) {
		this.clock = clock;
	}

	/**
	 * Return a new lane.
	 * @param name its name
	 * @return the lane
	 */
	Lane lane(String name) {
		return new Lane(name);
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

	private Optional<Task> nextDue(Instant until) {
		return this.tasks.stream().filter((task) -> !task.due().isAfter(until)).min(Task.ORDER);
	}

	/**
	 * One strand of the manual timeline.
	 */
	final class Lane implements LeaseScheduler {

		private final String name;

		private boolean closed;

		private boolean refusing;

		private Lane(String name) {
			this.name = name;
		}

		@Override
		public Cancellable schedule(Runnable runnable, Duration delay) {
			if (this.closed || this.refusing) {
				throw new RejectedExecutionException("Lane " + this.name + " is closed");
			}
			Instant due = ManualScheduler.this.clock.instant().plus(delay.isNegative() ? Duration.ZERO : delay);
			Task task = new Task(this, runnable, due, ManualScheduler.this.sequence++);
			ManualScheduler.this.tasks.add(task);
			return () -> ManualScheduler.this.tasks.remove(task);
		}

		@Override
		public boolean close(Duration grace) {
			this.closed = true;
			ManualScheduler.this.tasks.removeIf((task) -> task.lane() == this);
			return true;
		}

		boolean isClosed() {
			return this.closed;
		}

		/**
		 * Refuse new tasks from now on, keeping those already scheduled.
		 */
		void refuseNewTasks() {
			this.refusing = true;
		}

		int pendingTasks() {
			return (int) ManualScheduler.this.tasks.stream().filter((task) -> task.lane() == this).count();
		}

		/**
		 * Return when this lane's earliest pending task is due.
		 * @return the due time, empty when nothing is pending on this lane
		 */
		Optional<Instant> nextDueAt() {
			return ManualScheduler.this.tasks.stream()
				.filter((task) -> task.lane() == this)
				.min(Task.ORDER)
				.map(Task::due);
		}

		@Override
		public String toString() {
			return "Lane[" + this.name + "]";
		}

	}

	private record Task(Lane lane, Runnable runnable, Instant due, long sequence) {

		static final Comparator<Task> ORDER = Comparator.comparing(Task::due).thenComparingLong(Task::sequence);

	}

}
