package io.github.vaultdatasource.metrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.github.vaultdatasource.event.CredentialsIssuedEvent;
import io.github.vaultdatasource.event.CredentialsRotatedEvent;
import io.github.vaultdatasource.event.LeaseFailureEvent;
import io.github.vaultdatasource.event.LeaseRenewedEvent;
import io.github.vaultdatasource.event.LeaseRevokedEvent;
import io.github.vaultdatasource.event.VaultDataSourceEvent;
import io.github.vaultdatasource.FailureKind;
import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.lease.LeaseStatus;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.RotationReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.jspecify.annotations.Nullable;

import org.springframework.context.ApplicationListener;

/**
 * Micrometer metrics for the Vault leases of managed data sources, all under
 * {@code vault.datasource}: time left on each lease and on the Vault token, renewals and rotations
 * by outcome (and rotations by reason), failures by kind, revocations, and how long issuing
 * credentials and whole rotations take. Tags are the data source name and small enums, never a
 * username or lease id.
 */
public class VaultLeaseMetrics implements MeterBinder, ApplicationListener<VaultDataSourceEvent> {

	/**
	 * Prefix of every meter name.
	 */
	public static final String PREFIX = "vault.datasource";

	private static final String DATASOURCE = "datasource";

	// Events published before a registry is bound (the first credentials are issued while the
	// DataSource bean is created) are kept and recorded at binding; a few per data source at most.
	private static final int MAX_PENDING = 256;

	private final ManagedLeases leases;

	private final Supplier<Optional<Duration>> tokenTimeToLive;

	private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();

	private final List<VaultDataSourceEvent> pending = new ArrayList<>();

	/**
	 * Create the metrics.
	 * @param leases the managed leases
	 * @param tokenTimeToLive the Vault token's time to live, empty when unknown or not expiring
	 */
	public VaultLeaseMetrics(ManagedLeases leases, Supplier<Optional<Duration>> tokenTimeToLive) {
		this.leases = leases;
		this.tokenTimeToLive = tokenTimeToLive;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		TimeGauge.builder(PREFIX + ".token.remaining", this, TimeUnit.SECONDS, VaultLeaseMetrics::tokenSeconds)
			.description("Time until the Vault token expires unless renewed (NaN when it does not expire)")
			.register(registry);
		for (LeaseLifecycle lease : this.leases.all()) {
			registerGauges(registry, lease.name());
		}
		List<VaultDataSourceEvent> replay;
		synchronized (this.pending) {
			this.registries.add(registry);
			replay = new ArrayList<>(this.pending);
			this.pending.clear();
		}
		replay.forEach((event) -> record(registry, event));
	}

	@Override
	public void onApplicationEvent(VaultDataSourceEvent event) {
		if (this.registries.isEmpty()) {
			synchronized (this.pending) {
				if (this.registries.isEmpty()) {
					if (this.pending.size() < MAX_PENDING) {
						this.pending.add(event);
					}
					return;
				}
			}
		}
		this.registries.forEach((registry) -> record(registry, event));
	}

	private void record(MeterRegistry registry, VaultDataSourceEvent event) {
		String dataSource = event.getDataSourceName();
		registerGauges(registry, dataSource);
		if (event instanceof CredentialsIssuedEvent issued) {
			Timer.builder(PREFIX + ".credentials.issue")
				.description("Time to issue database credentials from Vault")
				.tag(DATASOURCE, dataSource)
				.register(registry)
				.record(issued.getIssueLatency());
		}
		else if (event instanceof LeaseRenewedEvent renewed) {
			renewals(registry, dataSource, renewed.isCapped() ? "capped" : "success").increment();
		}
		else if (event instanceof CredentialsRotatedEvent rotated) {
			rotations(registry, dataSource, "success", rotated.getReason()).increment();
			Timer.builder(PREFIX + ".rotation.duration")
				.description("Time a rotation took, from asking Vault for new credentials to revoking the old lease")
				.tag(DATASOURCE, dataSource)
				.tag("reason", tagValue(rotated.getReason()))
				.register(registry)
				.record(rotated.getTotalDuration());
		}
		else if (event instanceof LeaseRevokedEvent revoked) {
			Counter.builder(PREFIX + ".lease.revocations")
				.description("Leases revoked, after a rotation or at shutdown")
				.baseUnit("revocations")
				.tag(DATASOURCE, dataSource)
				.tag("trigger", revoked.isShutdown() ? "shutdown" : "rotation")
				.register(registry)
				.increment();
		}
		else if (event instanceof LeaseFailureEvent failure) {
			Counter.builder(PREFIX + ".lease.failures")
				.description("Failed Vault or database operations on a lease, by kind")
				.baseUnit("failures")
				.tag(DATASOURCE, dataSource)
				.tag("kind", tagValue(failure.getKind()))
				.register(registry)
				.increment();
			if (failure.getKind() == FailureKind.RENEWAL) {
				renewals(registry, dataSource, "failure").increment();
			}
			else if (failure.getKind() == FailureKind.ISSUE || failure.getKind() == FailureKind.VALIDATION) {
				RotationReason reason = failure.getRotationReason();
				rotations(registry, dataSource, "failure", reason).increment();
			}
		}
	}

	private void registerGauges(MeterRegistry registry, String dataSource) {
		if (registry.find(PREFIX + ".lease.remaining").tag(DATASOURCE, dataSource).timeGauge() != null) {
			// Registering again would only make Micrometer warn.
			return;
		}
		TimeGauge.builder(PREFIX + ".lease.remaining", this, TimeUnit.SECONDS, (metrics) -> metrics.remaining(dataSource))
			.description("Time until the data source's current lease expires unless renewed")
			.tag(DATASOURCE, dataSource)
			.register(registry);
		Gauge.builder(PREFIX + ".lease.consecutive.failures", this, (metrics) -> metrics.consecutiveFailures(dataSource))
			.description("Failed operations on the lease since the latest success")
			.baseUnit("failures")
			.tag(DATASOURCE, dataSource)
			.register(registry);
	}

	private static Counter renewals(MeterRegistry registry, String dataSource, String outcome) {
		return Counter.builder(PREFIX + ".lease.renewals")
			.description("Lease renewals by outcome (capped: Vault granted less because of max_ttl)")
			.baseUnit("renewals")
			.tag(DATASOURCE, dataSource)
			.tag("outcome", outcome)
			.register(registry);
	}

	private static Counter rotations(MeterRegistry registry, String dataSource, String outcome,
			@Nullable RotationReason reason) {
		return Counter.builder(PREFIX + ".lease.rotations")
			.description("Credential rotations by outcome and reason")
			.baseUnit("rotations")
			.tag(DATASOURCE, dataSource)
			.tag("outcome", outcome)
			.tag("reason", (reason != null) ? tagValue(reason) : "unknown")
			.register(registry);
	}

	private double remaining(String dataSource) {
		Duration remaining = this.leases.get(dataSource).map(LeaseLifecycle::status).map(LeaseStatus::timeToExpiry)
			.orElse(null);
		return (remaining != null) ? remaining.toMillis() / 1000.0 : Double.NaN;
	}

	private double consecutiveFailures(String dataSource) {
		return this.leases.get(dataSource).map((lease) -> (double) lease.status().consecutiveFailures())
			.orElse(Double.NaN);
	}

	private double tokenSeconds() {
		return this.tokenTimeToLive.get().map((ttl) -> ttl.toMillis() / 1000.0).orElse(Double.NaN);
	}

	private static String tagValue(Enum<?> value) {
		return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
	}

}
