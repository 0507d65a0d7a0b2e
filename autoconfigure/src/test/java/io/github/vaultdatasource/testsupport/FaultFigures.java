package io.github.vaultdatasource.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import io.github.vaultdatasource.testsupport.QueryLoad.Result;

/**
 * The figures of a fault test, computed from the queries a {@link QueryLoad} ran: failed queries
 * by SQLState, queries in flight at the fault, the time from the fault to its last failure and to
 * the first success as a user other than the one at the fault, and the users that served. Printed,
 * and appended to {@code target/reliability-figures.txt} for the reliability page.
 *
 * @param fault what was done
 * @param queries all queries
 * @param failed failed queries
 * @param failures failed queries by SQLState
 * @param inFlight queries running at the moment of the fault
 * @param lastFailureMillis from the fault to the end of the last failed query, -1 without failures
 * @param firstNewUserMillis from the fault to the end of the first successful query as another
 * user, -1 when none
 * @param users the users that served queries
 * @param rejectionToRecoveryMillis from the end of the first failed query to the end of the first
 * successful query as a new user after it, -1 without failures or recovery
 */
public record FaultFigures(String fault, int queries, long failed, Map<String, Long> failures, int inFlight,
		long lastFailureMillis, long firstNewUserMillis, Set<String> users, long rejectionToRecoveryMillis) {

	/**
	 * Compute the figures.
	 * @param fault what was done
	 * @param results the queries
	 * @param faultNanos when the fault happened ({@link System#nanoTime()})
	 * @param userAtFault the user serving when the fault happened, or {@code null}
	 * @return the figures
	 */
	public static FaultFigures of(String fault, List<Result> results, long faultNanos, String userAtFault) {
		long failed = results.stream().filter((result) -> !result.succeeded()).count();
		int inFlight = (int) results.stream()
			.filter((result) -> result.startNanos() <= faultNanos && result.endNanos() >= faultNanos)
			.count();
		long lastFailure = results.stream()
			.filter((result) -> !result.succeeded())
			.mapToLong(Result::endNanos)
			.max()
			.stream()
			.map((end) -> (end - faultNanos) / 1_000_000)
			.findFirst()
			.orElse(-1);
		long firstNewUser = results.stream()
			.filter((result) -> result.succeeded() && result.startNanos() > faultNanos
					&& !Objects.equals(result.user(), userAtFault))
			.mapToLong(Result::endNanos)
			.min()
			.stream()
			.map((end) -> (end - faultNanos) / 1_000_000)
			.findFirst()
			.orElse(-1);
		Set<String> users = results.stream()
			.map(Result::user)
			.filter(Objects::nonNull)
			.collect(Collectors.toCollection(TreeSet::new));
		long firstFailure = results.stream()
			.filter((result) -> !result.succeeded())
			.mapToLong(Result::endNanos)
			.min()
			.orElse(-1);
		long recovery = (firstFailure < 0) ? -1 : results.stream()
			.filter((result) -> result.succeeded() && result.startNanos() > firstFailure
					&& !Objects.equals(result.user(), userAtFault))
			.mapToLong(Result::endNanos)
			.min()
			.stream()
			.map((end) -> (end - firstFailure) / 1_000_000)
			.findFirst()
			.orElse(-1);
		return new FaultFigures(fault, results.size(), failed, QueryLoad.failuresByState(results), inFlight,
				lastFailure, firstNewUser, users, recovery);
	}

	/**
	 * Print the figures and append them, with what was left behind, to the figures file.
	 * @param rolesLeft issued users left in PostgreSQL after shutdown
	 * @param leasesLeft leases left in Vault after shutdown
	 * @return this
	 */
	public FaultFigures report(int rolesLeft, int leasesLeft) {
		String line = String.format("FAULT %s | queries %d | failed %d %s | in flight at fault %d | last failure %s | "
				+ "first query as a new user %s | first rejection to first success as a new user %s | users %d | "
				+ "roles left %d | leases left %d", this.fault, this.queries, this.failed, this.failures, this.inFlight,
				millis(this.lastFailureMillis), millis(this.firstNewUserMillis), millis(this.rejectionToRecoveryMillis),
				this.users.size(), rolesLeft, leasesLeft);
		System.out.println(line);
		try {
			Path file = VaultTestEnvironment.get()
				.repository()
				.resolve("autoconfigure/target/reliability-figures.txt");
			Files.createDirectories(file.getParent());
			Files.writeString(file, line + System.lineSeparator(), StandardOpenOption.CREATE,
					StandardOpenOption.APPEND);
		}
		catch (IOException ex) {
			// The figures were printed; the file is a convenience.
		}
		return this;
	}

	private static String millis(long value) {
		return (value < 0) ? "—" : "+" + value + " ms";
	}

}
