package io.github.vaultdatasource.lease;

import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.github.vaultdatasource.DatabaseCredentials;

/**
 * A {@link CredentialsTarget} standing in for the pool: records what it is handed and can be told
 * to reject new credentials.
 */
final class RecordingCredentialsTarget implements CredentialsTarget {

	private final List<String> log;

	private final List<DatabaseCredentials> installed = new ArrayList<>();

	private final List<DatabaseCredentials> validated = new ArrayList<>();

	private final List<Switch> switches = new ArrayList<>();

	private int validationsToFail;

	private RuntimeException switchFailure;

	private Runnable duringSwitch = () -> {
	};

	private DatabaseCredentials current;

	RecordingCredentialsTarget(List<String> log) {
		this.log = log;
	}

	void failNextValidations(int count) {
		this.validationsToFail = count;
	}

	void failNextSwitch(RuntimeException failure) {
		this.switchFailure = failure;
	}

	/**
	 * Run something during every switch, such as moving the clock as a slow drain would.
	 * @param action what to run
	 */
	void duringSwitch(Runnable action) {
		this.duringSwitch = action;
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

	/**
	 * Return the username new connections of the pool would log in with.
	 * @return the username
	 */
	String currentUsername() {
		return (this.current != null) ? this.current.username() : null;
	}

	@Override
	public void install(DatabaseCredentials credentials) {
		this.log.add("install " + credentials.username());
		this.installed.add(credentials);
		this.current = credentials;
	}

	@Override
	public void validate(DatabaseCredentials candidate) throws SQLException {
		this.log.add("validate " + candidate.username());
		this.validated.add(candidate);
		if (this.validationsToFail > 0) {
			this.validationsToFail--;
			throw new SQLException("FATAL: password authentication failed for user \"" + candidate.username() + "\"",
					"28P01");
		}
	}

	@Override
	public SwitchReport switchTo(DatabaseCredentials next, DatabaseCredentials previous, Instant drainDeadline) {
		this.log.add("switch " + next.username() + " <- " + previous.username());
		this.switches.add(new Switch(next, previous, drainDeadline));
		this.current = next;
		this.duringSwitch.run();
		RuntimeException failure = this.switchFailure;
		if (failure != null) {
			this.switchFailure = null;
			throw failure;
		}
		return new SwitchReport(5, 20, 1, 0);
	}

	record Switch(DatabaseCredentials next, DatabaseCredentials previous, Instant drainDeadline) {

	}

}
