package io.github.vaultdatasource.lease;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.DatabaseCredentials;
import io.github.vaultdatasource.vault.DatabaseSecretsClient;
import io.github.vaultdatasource.vault.VaultRequestException;
import io.github.vaultdatasource.vault.VaultRequestException.Failure;

/**
 * A scriptable {@link DatabaseSecretsClient}: issues users {@code v-1}, {@code v-2}, … with
 * secret passwords and lease ids, grants renewals in full unless told otherwise, and records
 * what it was asked.
 */
final class FakeDatabaseSecretsClient implements DatabaseSecretsClient {

	static final String PATH = "database/creds/app";

	static final String STATIC_PATH = "database/static-creds/app";

	static final String STATIC_USER = "app_static";

	private static final String LEASE_RANDOM = "Zq8Kd3Lp0Wx7RtMa";

	private final MutableClock clock;

	private final List<String> log;

	private final List<CredentialLease> issued = new ArrayList<>();

	private final List<CredentialLease> renewed = new ArrayList<>();

	private final List<Duration> renewIncrements = new ArrayList<>();

	private final List<CredentialLease> revoked = new ArrayList<>();

	private final Set<String> goneLeaseIds = new HashSet<>();

	private final Deque<Failure> issueFailures = new ArrayDeque<>();

	private final Deque<Object> renewAnswers = new ArrayDeque<>();

	private final Deque<Failure> revokeFailures = new ArrayDeque<>();

	private Duration ttl = Duration.ofSeconds(60);

	private boolean renewable = true;

	private Duration issueLatency = Duration.ZERO;

	private Duration renewLatency = Duration.ZERO;

	private Duration revokeLatency = Duration.ZERO;

	private Duration maxTtl;

	private boolean maxTtlReadable;

	private final List<Instant> renewSentAt = new ArrayList<>();

	private Runnable onNextIssue;

	private Failure issueFailsAlways;

	private Failure renewFailsAlways;

	// A static role: one user whose password "Vault" rotates every period, a lag after it is due.
	private Duration rotationPeriod;

	private Duration rotationLag = Duration.ZERO;

	private Instant nextRotation;

	private int passwordVersion = 1;

	FakeDatabaseSecretsClient(MutableClock clock, List<String> log) {
		this.clock = clock;
		this.log = log;
	}

	static String password(int number) {
		return "pw-Secret-" + number + "-Kq93x";
	}

	static String leaseId(int number) {
		return PATH + "/" + LEASE_RANDOM + String.format("%04d", number);
	}

	static String leaseRandom(int number) {
		return LEASE_RANDOM + String.format("%04d", number);
	}

	/**
	 * Act as a static role: every read returns user {@code app_static} with the password of the
	 * current version ({@link #password(int)}), rotated every {@code period} from now, and the
	 * time until the next rotation as the TTL.
	 * @param period the rotation period
	 * @return this client
	 */
	FakeDatabaseSecretsClient staticRole(Duration period) {
		this.rotationPeriod = period;
		this.nextRotation = this.clock.instant().plus(period);
		return this;
	}

	/**
	 * Rotate a static role's password only this long after it is due, as Vault's rotation queue,
	 * which looks every few seconds, does; reads in between return the old password and a TTL of 0.
	 * @param lag the lag
	 * @return this client
	 */
	FakeDatabaseSecretsClient rotationLag(Duration lag) {
		this.rotationLag = lag;
		return this;
	}

	/**
	 * Rotate a static role's password now, as {@code bao write -f database/rotate-role/<role>} does;
	 * the next scheduled rotation is then a period away.
	 */
	void rotateFromOutside() {
		catchUpRotations();
		this.passwordVersion++;
		this.nextRotation = this.clock.instant().plus(this.rotationPeriod);
		this.log.add("vault rotated password " + this.passwordVersion);
	}

	/**
	 * Return the credentials of a static role's current password.
	 * @return the credentials
	 */
	DatabaseCredentials staticCredentials() {
		catchUpRotations();
		return new DatabaseCredentials(STATIC_USER, password(this.passwordVersion));
	}

	private void catchUpRotations() {
		while (!this.clock.instant().isBefore(this.nextRotation.plus(this.rotationLag))) {
			this.passwordVersion++;
			this.nextRotation = this.nextRotation.plus(this.rotationPeriod);
			this.log.add("vault rotated password " + this.passwordVersion);
		}
	}

	FakeDatabaseSecretsClient ttl(Duration ttl) {
		this.ttl = ttl;
		return this;
	}

	FakeDatabaseSecretsClient renewable(boolean renewable) {
		this.renewable = renewable;
		return this;
	}

	FakeDatabaseSecretsClient issueLatency(Duration latency) {
		this.issueLatency = latency;
		return this;
	}

	FakeDatabaseSecretsClient renewLatency(Duration latency) {
		this.renewLatency = latency;
		return this;
	}

	FakeDatabaseSecretsClient revokeLatency(Duration latency) {
		this.revokeLatency = latency;
		return this;
	}

	/**
	 * Enforce a max TTL as Vault does: renewals are capped at issue + max, and refused past it.
	 * @param maxTtl the role's max TTL
	 * @param readable whether {@link #roleMaxTtl()} tells it
	 * @return this client
	 */
	FakeDatabaseSecretsClient maxTtl(Duration maxTtl, boolean readable) {
		this.maxTtl = maxTtl;
		this.maxTtlReadable = readable;
		return this;
	}

	/**
	 * Run something once while the next issue request is under way, such as a shutdown on another
	 * thread.
	 * @param action what to run
	 */
	void onNextIssue(Runnable action) {
		this.onNextIssue = action;
	}

	List<Instant> renewSentAt() {
		return this.renewSentAt;
	}

	FakeDatabaseSecretsClient failIssue(Failure... failures) {
		this.issueFailures.addAll(List.of(failures));
		return this;
	}

	FakeDatabaseSecretsClient failIssueAlways(Failure failure) {
		this.issueFailsAlways = failure;
		return this;
	}

	FakeDatabaseSecretsClient failRenewal(Failure... failures) {
		this.renewAnswers.addAll(List.of(failures));
		return this;
	}

	FakeDatabaseSecretsClient failRenewalAlways(Failure failure) {
		this.renewFailsAlways = failure;
		return this;
	}

	FakeDatabaseSecretsClient throwOnRenewal(RuntimeException exception) {
		this.renewAnswers.add(exception);
		return this;
	}

	FakeDatabaseSecretsClient grantRenewal(Duration granted, boolean renewable, boolean capped) {
		this.renewAnswers.add(new LeaseRenewal(granted, renewable, capped));
		return this;
	}

	FakeDatabaseSecretsClient failRevocation(Failure failure) {
		this.revokeFailures.add(failure);
		return this;
	}

	/**
	 * Make Vault forget a lease, as an operator's {@code lease revoke} or a token revocation would.
	 * @param lease the lease
	 */
	void revokeBehindOurBack(CredentialLease lease) {
		this.goneLeaseIds.add(lease.leaseId());
	}

	List<CredentialLease> issued() {
		return this.issued;
	}

	List<CredentialLease> renewed() {
		return this.renewed;
	}

	List<Duration> renewIncrements() {
		return this.renewIncrements;
	}

	List<CredentialLease> revoked() {
		return this.revoked;
	}

	List<String> revokedUsernames() {
		return this.revoked.stream().map(CredentialLease::username).toList();
	}

	@Override
	public boolean isStatic() {
		return this.rotationPeriod != null;
	}

	@Override
	public String credentialsPath() {
		return isStatic() ? STATIC_PATH : PATH;
	}

	@Override
	public java.util.Optional<Duration> roleMaxTtl() {
		return (this.maxTtlReadable) ? java.util.Optional.of(this.maxTtl) : java.util.Optional.empty();
	}

	@Override
	public CredentialLease issue() {
		Instant sent = this.clock.instant();
		this.clock.advance(this.issueLatency);
		Runnable during = this.onNextIssue;
		if (during != null) {
			this.onNextIssue = null;
			during.run();
		}
		Failure failure = (!this.issueFailures.isEmpty()) ? this.issueFailures.poll() : this.issueFailsAlways;
		if (failure != null) {
			this.log.add("issue failed " + failure);
			throw failure(failure, PATH);
		}
		if (isStatic()) {
			DatabaseCredentials credentials = staticCredentials();
			Duration ttl = Duration.between(sent, this.nextRotation);
			CredentialLease lease = CredentialLease.issued(credentials,
					STATIC_PATH + "/2025010110000" + this.passwordVersion, false, sent,
					ttl.isNegative() ? Duration.ZERO : ttl);
			this.issued.add(lease);
			this.log.add("read password " + this.passwordVersion);
			return lease;
		}
		int number = this.issued.size() + 1;
		CredentialLease lease = CredentialLease.issued(new DatabaseCredentials("v-" + number, password(number)),
				leaseId(number), this.renewable, sent, this.ttl);
		this.issued.add(lease);
		this.log.add("issue " + lease.username());
		return lease;
	}

	@Override
	public LeaseRenewal renew(CredentialLease lease, Duration increment) {
		this.log.add("renew " + lease.username());
		this.renewSentAt.add(this.clock.instant());
		this.renewed.add(lease);
		this.renewIncrements.add(increment);
		Instant handled = this.clock.instant();
		this.clock.advance(this.renewLatency);
		if (this.goneLeaseIds.contains(lease.leaseId())) {
			throw failure(Failure.LEASE_GONE, "sys/leases/renew");
		}
		Object answer = (!this.renewAnswers.isEmpty()) ? this.renewAnswers.poll() : this.renewFailsAlways;
		if (answer instanceof Failure failure) {
			throw failure(failure, "sys/leases/renew");
		}
		if (answer instanceof RuntimeException exception) {
			throw exception;
		}
		if (answer instanceof LeaseRenewal renewal) {
			return renewal;
		}
		if (this.maxTtl != null) {
			Duration left = Duration.between(handled, lease.issuedAt().plus(this.maxTtl));
			if (left.isNegative() || left.isZero()) {
				throw failure(Failure.MAX_TTL_REACHED, "sys/leases/renew");
			}
			if (left.compareTo(increment) < 0) {
				return new LeaseRenewal(left, true, true);
			}
		}
		return new LeaseRenewal(increment, true, false);
	}

	@Override
	public void revoke(CredentialLease lease) {
		this.log.add("revoke " + lease.username());
		this.clock.advance(this.revokeLatency);
		if (this.goneLeaseIds.contains(lease.leaseId())) {
			throw failure(Failure.LEASE_GONE, "sys/leases/revoke");
		}
		Failure failure = this.revokeFailures.poll();
		if (failure != null) {
			throw failure(failure, "sys/leases/revoke");
		}
		this.goneLeaseIds.add(lease.leaseId());
		this.revoked.add(lease);
	}

	private static VaultRequestException failure(Failure failure, String path) {
		int status = switch (failure) {
			case UNAVAILABLE -> 503;
			case PERMISSION_DENIED -> 403;
			case NOT_FOUND -> 404;
			case LEASE_GONE, MAX_TTL_REACHED -> 400;
			case SERVER_ERROR -> 500;
			case LOGIN_FAILED, REJECTED -> 400;
		};
		return new VaultRequestException(failure, path, status, "Vault answered " + status + " to " + path, null);
	}

}
