package io.github.vaultdatasource.lease;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.github.vaultdatasource.DatabaseCredentials;

/**
 * A {@link CredentialsTarget} standing in for the pool: records what it is handed, can be told to
 * reject credentials, and retires old credentials in steps a test can shape (by default: evicted
 * and drained in one step).
 */
final class RecordingCredentialsTarget implements CredentialsTarget {

	private final List<String> log;

	private final List<DatabaseCredentials> installed = new ArrayList<>();

	private final List<DatabaseCredentials> validated = new ArrayList<>();

	private final List<Switch> switches = new ArrayList<>();

	private final List<FakeRetirement> retirements = new ArrayList<>();

	private final Set<String> refusedUsers = new HashSet<>();

	private final Set<String> remainingUsers = new HashSet<>();

	private Duration switchAllowance = Duration.ZERO;

	private final Deque<Duration> drainSteps = new ArrayDeque<>();

	private int validationsToFail;

	private SQLException validationFailure;

	private RuntimeException switchFailure;

	private RuntimeException advanceFailure;

	private RuntimeException installFailure;

	private Runnable duringSwitch = () -> {
	};

	private Runnable duringValidation = () -> {
	};

	private DatabaseCredentials current;

	RecordingCredentialsTarget(List<String> log) {
		this.log = log;
	}

	void failNextValidations(int count) {
		this.validationsToFail = count;
	}

	void failValidationWith(SQLException failure) {
		this.validationFailure = failure;
	}

	/**
	 * Make the database refuse a user from now on, as after {@code DROP ROLE}.
	 * @param username the user
	 */
	void refuse(String username) {
		this.refusedUsers.add(username);
	}

	/**
	 * Make the database still hold a user after its lease was revoked, as when Vault no longer
	 * knew the lease.
	 * @param username the user
	 */
	void keepUser(String username) {
		this.remainingUsers.add(username);
	}

	void switchAllowance(Duration allowance) {
		this.switchAllowance = allowance;
	}

	@Override
	public Duration switchAllowance() {
		return this.switchAllowance;
	}

	@Override
	public boolean userExists(String username) {
		this.log.add("user exists? " + username);
		return this.remainingUsers.contains(username);
	}

	void failNextSwitch(RuntimeException failure) {
		this.switchFailure = failure;
	}

	void failNextInstall(RuntimeException failure) {
		this.installFailure = failure;
	}

	void failNextAdvance(RuntimeException failure) {
		this.advanceFailure = failure;
	}

	/**
	 * Shape the retirement of the next switches: each advance waits the next duration, then the
	 * retirement is done.
	 * @param steps the waits between steps
	 */
	void drainSteps(Duration... steps) {
		this.drainSteps.clear();
		this.drainSteps.addAll(List.of(steps));
	}

	/**
	 * Run something while switching, such as moving the clock on.
	 * @param action what to run
	 */
	void duringSwitch(Runnable action) {
		this.duringSwitch = action;
	}

	/**
	 * Run something while validating, such as moving the clock on as a slow login would.
	 * @param action what to run
	 */
	void duringValidation(Runnable action) {
		this.duringValidation = action;
	}

	List<DatabaseCredentials> installed() {
		return this.installed;
	}

	List<DatabaseCredentials> validated() {
		return this.validated;
	}

	List<Switch> switches() {
		return this.switches;
	}

	List<FakeRetirement> retirements() {
		return this.retirements;
	}

	/**
	 * Return the username new connections of the pool would log in with.
	 * @return the username
	 */
	String currentUsername() {
		return (this.current != null) ? this.current.username() : null;
	}

	@Override
	public void install(DatabaseCredentials credentials) {
		RuntimeException failure = this.installFailure;
		if (failure != null) {
			this.installFailure = null;
			throw failure;
		}
		this.log.add("install " + credentials.username());
		this.installed.add(credentials);
		this.current = credentials;
	}

	@Override
	public void validate(DatabaseCredentials candidate) throws SQLException {
		this.log.add("validate " + candidate.username());
		this.validated.add(candidate);
		this.duringValidation.run();
		if (this.refusedUsers.contains(candidate.username())) {
			throw new SQLException("FATAL: password authentication failed for user \"" + candidate.username() + "\"",
					"28P01");
		}
		if (this.validationFailure != null) {
			throw this.validationFailure;
		}
		if (this.validationsToFail > 0) {
			this.validationsToFail--;
			throw new SQLException("FATAL: password authentication failed for user \"" + candidate.username() + "\"",
					"28P01");
		}
	}

	@Override
	public Retirement switchTo(DatabaseCredentials next, DatabaseCredentials previous, boolean previousDead) {
		this.log.add("switch " + next.username() + " <- " + previous.username() + (previousDead ? " (dead)" : ""));
		this.switches.add(new Switch(next, previous, previousDead));
		this.current = next;
		this.duringSwitch.run();
		RuntimeException failure = this.switchFailure;
		if (failure != null) {
			this.switchFailure = null;
			throw failure;
		}
		FakeRetirement retirement = new FakeRetirement(previous, previousDead, new ArrayDeque<>(this.drainSteps));
		this.retirements.add(retirement);
		return retirement;
	}

	record Switch(DatabaseCredentials next, DatabaseCredentials previous, boolean previousDead) {

	}

	/**
	 * A retirement that logs its steps.
	 */
	final class FakeRetirement implements Retirement {

		private final DatabaseCredentials previous;

		private final Deque<Duration> steps;

		private final List<Instant> deadlines = new ArrayList<>();

		private boolean dead;

		private boolean evicted;

		private boolean done;

		private boolean abandoned;

		FakeRetirement(DatabaseCredentials previous, boolean dead, Deque<Duration> steps) {
			this.previous = previous;
			this.dead = dead;
			this.steps = steps;
		}

		@Override
		public Duration advance(Instant deadline) {
			this.deadlines.add(deadline);
			RuntimeException failure = RecordingCredentialsTarget.this.advanceFailure;
			if (failure != null) {
				RecordingCredentialsTarget.this.advanceFailure = null;
				throw failure;
			}
			if (!this.evicted) {
				this.evicted = true;
				RecordingCredentialsTarget.this.log.add("evict " + this.previous.username());
			}
			Duration wait = this.dead ? null : this.steps.poll();
			if (wait == null) {
				this.done = true;
				RecordingCredentialsTarget.this.log.add("drained " + this.previous.username());
			}
			return wait;
		}

		@Override
		public void previousDead() {
			this.dead = true;
			RecordingCredentialsTarget.this.log.add("dead " + this.previous.username());
		}

		@Override
		public void abandon() {
			this.abandoned = true;
			RecordingCredentialsTarget.this.log.add("abandon " + this.previous.username());
		}

		@Override
		public RetirementReport report() {
			return new RetirementReport(Duration.ofMillis(5), Duration.ofMillis(20), 0, false);
		}

		List<Instant> deadlines() {
			return this.deadlines;
		}

		boolean isDone() {
			return this.done;
		}

		boolean isAbandoned() {
			return this.abandoned;
		}

		boolean isDead() {
			return this.dead;
		}

	}

}
