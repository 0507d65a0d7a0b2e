package io.github.vaultdatasource.metrics;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

import io.github.vaultdatasource.FailureKind;
import io.github.vaultdatasource.RevocationTrigger;
import io.github.vaultdatasource.RotationReason;
import io.github.vaultdatasource.lease.LeaseCounters;
import io.github.vaultdatasource.lease.LeaseCounters.RenewalOutcome;
import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.lease.LeaseStatus;
import io.github.vaultdatasource.lease.LeaseStatus.State;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Micrometer metrics for the Vault leases of managed data sources, all under
 * {@code vault.datasource}: time left on each lease and on the Vault token, the lease's TTL,
 * {@code max_ttl} and state, credentials issued, renewals and rotations by outcome (rotations also
 * by reason), failures by kind, revocations by trigger and outcome, leases left unrevoked, and
 * how long issuing credentials and whole rotations take. Every figure is read from the lease
 * lifecycle's own counters when the registry asks, so there is one set of books. Tags are the
 * data source name and small enums, never a username or lease id.
 */
public class VaultLeaseMetrics implements MeterBinder {

	/**
	 * Prefix of every meter name.
	 */
	public static final String PREFIX = "vault.datasource";

	private static final String DATASOURCE = "datasource";

	private final ManagedLeases leases;

	// The latest lifecycle bound under each data source name. A closed data source leaves
	// ManagedLeases, but its gauges keep reading its final status (STOPPED, the last lease's TTL), so
	// the metrics pushed at shutdown still say what the application left behind.
	private final Map<String, LeaseLifecycle> bound = new ConcurrentHashMap<>();

	private final Supplier<Optional<Duration>> tokenTimeToLive;

	private final Supplier<Instant> now;

	/**
	 * Create the metrics.
	 * @param leases the managed leases
	 * @param tokenTimeToLive the Vault token's time to live, empty when unknown or not expiring
	 * @param now the current instant
	 */
	public VaultLeaseMetrics(ManagedLeases leases, Supplier<Optional<Duration>> tokenTimeToLive,
			Supplier<Instant> now) {
		this.leases = leases;
		this.tokenTimeToLive = tokenTimeToLive;
		this.now = now;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		TimeGauge.builder(PREFIX + ".token.remaining", this, TimeUnit.SECONDS, VaultLeaseMetrics::tokenSeconds)
			.description("Time until the Vault token expires unless renewed (NaN when it does not expire)")
			.register(registry);
		// Data sources created later are bound when they come under management.
		this.leases.forEachRegistered((lease) -> {
			this.bound.put(lease.name(), lease);
			bind(registry, lease);
		});
	}

	private void bind(MeterRegistry registry, LeaseLifecycle lease) {
		String dataSource = lease.name();
		LeaseCounters counters = lease.counters();
		statusGauges(registry, dataSource);
		FunctionCounter.builder(PREFIX + ".credentials.issued", counters, LeaseCounters::issued)
			.description("Credentials Vault issued, including ones the database then did not accept")
			.tag(DATASOURCE, dataSource)
			.register(registry);
		for (RenewalOutcome outcome : RenewalOutcome.values()) {
			counter(".lease.renewals", "renewals",
					"Lease renewals by outcome (capped: Vault granted less because of max_ttl)", dataSource, counters,
					(books) -> books.renewals(outcome))
				.tag("outcome", tagValue(outcome))
				.register(registry);
		}
		String rotations = "Rotations to new credentials by outcome (failure: Vault did not issue, or the database did "
				+ "not accept, new credentials) and reason";
		for (RotationReason reason : RotationReason.values()) {
			byOutcome(registry, ".lease.rotations", "rotations", rotations, dataSource, counters,
					(books) -> books.rotations(reason), (books) -> books.failedRotations(reason), "reason",
					tagValue(reason));
		}
		for (FailureKind kind : FailureKind.values()) {
			counter(".lease.failures", "failures", "Failed Vault or database operations on a lease, by kind",
					dataSource, counters, (books) -> books.failures(kind))
				.tag("kind", tagValue(kind))
				.register(registry);
		}
		String revocations = "Lease revocations by trigger and outcome (failure: Vault refused or could not be reached; "
				+ "the lease then lives until it expires)";
		for (RevocationTrigger trigger : RevocationTrigger.values()) {
			byOutcome(registry, ".lease.revocations", "revocations", revocations, dataSource, counters,
					(books) -> books.revocations(trigger), (books) -> books.failedRevocations(trigger), "trigger",
					tagValue(trigger));
		}
		Gauge.builder(PREFIX + ".leases.unrevoked", counters, (books) -> books.unrevoked(this.now.get()))
			.description("Leases this application could not revoke, or left to expire, that are still valid")
			.tag(DATASOURCE, dataSource)
			.register(registry);
		FunctionTimer
			.builder(PREFIX + ".credentials.issue", counters, LeaseCounters::issueCount,
					(books) -> books.issueTime().toNanos(), TimeUnit.NANOSECONDS)
			.description("Time Vault took to issue credentials (creating the database user)")
			.tag(DATASOURCE, dataSource)
			.register(registry);
		FunctionTimer
			.builder(PREFIX + ".rotation.duration", counters, LeaseCounters::finishedRotations,
					(books) -> books.rotationTime().toNanos(), TimeUnit.NANOSECONDS)
			.description("Whole rotations, from asking Vault for new credentials to revoking the old lease")
			.tag(DATASOURCE, dataSource)
			.register(registry);
	}

	private void statusGauges(MeterRegistry registry, String dataSource) {
		TimeGauge.builder(PREFIX + ".lease.remaining", this, TimeUnit.SECONDS,
				(metrics) -> metrics.seconds(dataSource, (status) -> status.timeToExpiry()))
			.description("Time until the data source's current lease expires unless renewed")
			.tag(DATASOURCE, dataSource)
			.register(registry);
		TimeGauge.builder(PREFIX + ".lease.ttl", this, TimeUnit.SECONDS,
				(metrics) -> metrics.seconds(dataSource, (status) -> (status.lease() != null) ? status.lease().ttl() : null))
			.description("TTL Vault granted the current lease when it issued it")
			.tag(DATASOURCE, dataSource)
			.register(registry);
		TimeGauge.builder(PREFIX + ".lease.max.ttl", this, TimeUnit.SECONDS,
				(metrics) -> metrics.lifecycle(dataSource)
					.flatMap(LeaseLifecycle::maxTtl)
					.map(VaultLeaseMetrics::toSeconds)
					.orElse(Double.NaN))
			.description("The role's max_ttl as far as known (read from the role or learned from a capped renewal); "
					+ "NaN when unknown")
			.tag(DATASOURCE, dataSource)
			.register(registry);
		Gauge.builder(PREFIX + ".lease.consecutive.failures", this,
				(metrics) -> metrics.status(dataSource, (status) -> (double) status.failures().consecutive()))
			.description("Failed operations on the lease since the latest success")
			.baseUnit("failures")
			.tag(DATASOURCE, dataSource)
			.register(registry);
		for (State state : State.values()) {
			Gauge.builder(PREFIX + ".lease.state", this,
					(metrics) -> metrics.status(dataSource, (status) -> (status.state() == state) ? 1.0 : 0.0))
				.description("1 for the lease's current state, 0 for the others")
				.tags(DATASOURCE, dataSource, "state", tagValue(state))
				.register(registry);
		}
	}

	// One counter tagged outcome=success and one outcome=failure, both also tagged tag=value.
	private static void byOutcome(MeterRegistry registry, String name, String unit, String description,
			String dataSource, LeaseCounters counters, ToDoubleFunction<LeaseCounters> successes,
			ToDoubleFunction<LeaseCounters> failures, String tag, String value) {
		counter(name, unit, description, dataSource, counters, successes).tags(tag, value, "outcome", "success")
			.register(registry);
		counter(name, unit, description, dataSource, counters, failures).tags(tag, value, "outcome", "failure")
			.register(registry);
	}

	private static FunctionCounter.Builder<LeaseCounters> counter(String name, String unit, String description,
			String dataSource, LeaseCounters counters, ToDoubleFunction<LeaseCounters> count) {
		return FunctionCounter.builder(PREFIX + name, counters, count)
			.description(description)
			.baseUnit(unit)
			.tag(DATASOURCE, dataSource);
	}

	private Optional<LeaseLifecycle> lifecycle(String dataSource) {
		return Optional.ofNullable(this.bound.get(dataSource));
	}

	private double status(String dataSource, Function<LeaseStatus, Double> value) {
		return lifecycle(dataSource).map(LeaseLifecycle::status).map(value).orElse(Double.NaN);
	}

	private double seconds(String dataSource, Function<LeaseStatus, Duration> value) {
		return lifecycle(dataSource)
			.map(LeaseLifecycle::status)
			.map(value)
			.map(VaultLeaseMetrics::toSeconds)
			.orElse(Double.NaN);
	}

	private double tokenSeconds() {
		return this.tokenTimeToLive.get().map(VaultLeaseMetrics::toSeconds).orElse(Double.NaN);
	}

	private static double toSeconds(Duration duration) {
		return duration.toMillis() / 1000.0;
	}

	private static String tagValue(Enum<?> value) {
		return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
	}

}
