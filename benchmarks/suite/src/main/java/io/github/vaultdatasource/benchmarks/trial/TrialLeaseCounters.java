package io.github.vaultdatasource.benchmarks.trial;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import io.github.vaultdatasource.FailureKind;
import io.github.vaultdatasource.RevocationTrigger;
import io.github.vaultdatasource.RotationReason;

/**
 * TRIAL COPY of the library's {@code io.github.vaultdatasource.lease.LeaseCounters} at commit
 * b7c036d (its writers are package-private), for {@link TrialLeaseLifecycle}; unchanged.
 * <p>
 * The running totals of one managed lease: the one set of books that status, the actuator
 * endpoint and the metrics all read. Written by the lease lifecycle, read from any thread.
 */
public final class TrialLeaseCounters {

	private final LongAdder issued = new LongAdder();

	private final Map<RenewalOutcome, LongAdder> renewals = counters(RenewalOutcome.class);

	private final Map<RotationReason, LongAdder> rotations = counters(RotationReason.class);

	private final Map<RotationReason, LongAdder> failedRotations = counters(RotationReason.class);

	private final Map<FailureKind, LongAdder> failures = counters(FailureKind.class);

	private final Map<RevocationTrigger, LongAdder> revocations = counters(RevocationTrigger.class);

	private final Map<RevocationTrigger, LongAdder> failedRevocations = counters(RevocationTrigger.class);

	private final LongAdder issueCount = new LongAdder();

	private final LongAdder issueNanos = new LongAdder();

	private final LongAdder rotationCount = new LongAdder();

	private final LongAdder rotationNanos = new LongAdder();

	private final Map<String, Instant> unrevoked = new ConcurrentHashMap<>();

	private static <E extends Enum<E>> Map<E, LongAdder> counters(Class<E> type) {
		Map<E, LongAdder> counters = new EnumMap<>(type);
		for (E value : type.getEnumConstants()) {
			counters.put(value, new LongAdder());
		}
		return counters;
	}

	void issued(Duration latency) {
		this.issued.increment();
		this.issueCount.increment();
		this.issueNanos.add(latency.toNanos());
	}

	void renewed(RenewalOutcome outcome) {
		this.renewals.get(outcome).increment();
	}

	void rotated(RotationReason reason) {
		this.rotations.get(reason).increment();
	}

	void rotationFailed(RotationReason reason) {
		this.failedRotations.get(reason).increment();
	}

	void rotationFinished(Duration total) {
		this.rotationCount.increment();
		this.rotationNanos.add(total.toNanos());
	}

	void failed(FailureKind kind) {
		this.failures.get(kind).increment();
	}

	void revoked(RevocationTrigger trigger) {
		this.revocations.get(trigger).increment();
	}

	void revocationFailed(RevocationTrigger trigger, String shortLeaseId, Instant expiresAt) {
		this.failedRevocations.get(trigger).increment();
		this.unrevoked.put(shortLeaseId, expiresAt);
	}

	void leftToExpire(String shortLeaseId, Instant expiresAt) {
		this.unrevoked.put(shortLeaseId, expiresAt);
	}

	/**
	 * Return how many credentials Vault issued, including ones the database then did not accept.
	 * @return the issued credentials
	 */
	public long issued() {
		return this.issued.sum();
	}

	/**
	 * Return the renewals with an outcome.
	 * @param outcome the outcome
	 * @return the count
	 */
	public long renewals(RenewalOutcome outcome) {
		return this.renewals.get(outcome).sum();
	}

	/**
	 * Return the successful renewals, capped or not.
	 * @return the count
	 */
	public long renewals() {
		return renewals(RenewalOutcome.SUCCESS) + renewals(RenewalOutcome.CAPPED);
	}

	/**
	 * Return the rotations that switched the pool to new credentials, for a reason.
	 * @param reason the reason
	 * @return the count
	 */
	public long rotations(RotationReason reason) {
		return this.rotations.get(reason).sum();
	}

	/**
	 * Return the rotations that switched the pool to new credentials.
	 * @return the count
	 */
	public long rotations() {
		return sum(this.rotations);
	}

	/**
	 * Return the rotation attempts that failed (Vault did not issue, or the database did not accept
	 * the new credentials), for a reason.
	 * @param reason the reason
	 * @return the count
	 */
	public long failedRotations(RotationReason reason) {
		return this.failedRotations.get(reason).sum();
	}

	/**
	 * Return the failed operations of a kind.
	 * @param kind the kind
	 * @return the count
	 */
	public long failures(FailureKind kind) {
		return this.failures.get(kind).sum();
	}

	/**
	 * Return all failed operations.
	 * @return the count
	 */
	public long failures() {
		return sum(this.failures);
	}

	/**
	 * Return the leases revoked for a trigger.
	 * @param trigger the trigger
	 * @return the count
	 */
	public long revocations(RevocationTrigger trigger) {
		return this.revocations.get(trigger).sum();
	}

	/**
	 * Return all leases revoked.
	 * @return the count
	 */
	public long revocations() {
		return sum(this.revocations);
	}

	/**
	 * Return the revocations that failed for a trigger.
	 * @param trigger the trigger
	 * @return the count
	 */
	public long failedRevocations(RevocationTrigger trigger) {
		return this.failedRevocations.get(trigger).sum();
	}

	/**
	 * Return how many leases this application could not revoke, or left to expire, that are still
	 * valid at {@code now}.
	 * @param now the current instant
	 * @return the count
	 */
	public int unrevoked(Instant now) {
		this.unrevoked.values().removeIf((expiresAt) -> !expiresAt.isAfter(now));
		return this.unrevoked.size();
	}

	/**
	 * Return how many times Vault issued credentials, with its answer's latency summed up.
	 * @return the count
	 */
	public long issueCount() {
		return this.issueCount.sum();
	}

	/**
	 * Return the total time Vault took to issue credentials.
	 * @return the total
	 */
	public Duration issueTime() {
		return Duration.ofNanos(this.issueNanos.sum());
	}

	/**
	 * Return how many rotations finished (old lease revoked or given up).
	 * @return the count
	 */
	public long finishedRotations() {
		return this.rotationCount.sum();
	}

	/**
	 * Return the total time finished rotations took, from asking Vault to revoking the old lease.
	 * @return the total
	 */
	public Duration rotationTime() {
		return Duration.ofNanos(this.rotationNanos.sum());
	}

	private static long sum(Map<?, LongAdder> counters) {
		return counters.values().stream().mapToLong(LongAdder::sum).sum();
	}

	/**
	 * How a renewal ended.
	 */
	public enum RenewalOutcome {

		/**
		 * Vault renewed the lease for what was asked.
		 */
		SUCCESS,

		/**
		 * Vault renewed the lease for less, because it reaches its {@code max_ttl}.
		 */
		CAPPED,

		/**
		 * The renewal failed.
		 */
		FAILURE

	}

}
