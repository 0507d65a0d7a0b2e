package io.github.vaultdatasource.health;

import java.util.function.Supplier;

import io.github.vaultdatasource.vault.VaultServerStatus;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * Health of the Vault server from its {@code sys/health}, asked through the same nodes and
 * failover as every other Vault request: {@code UP} when the node that answered is initialised and
 * unsealed (a standby counts, since it forwards requests), with the node's address in the
 * {@code node} detail; {@link #UNAVAILABLE} when no node can serve (unreachable, sealed or
 * uninitialised).
 * <p>
 * {@code UNAVAILABLE} is not one of the statuses Boot's default aggregation orders, so it does not
 * change the application's overall status: the application keeps serving on valid leases through
 * a Vault outage, and {@code vaultLeases} turns {@code OUT_OF_SERVICE} or {@code DOWN} when that
 * outage starts to matter. Add {@code unavailable} to
 * {@code management.endpoint.health.status.order} (and
 * {@code management.endpoint.health.status.http-mapping.unavailable=503}) to let it count.
 */
public class VaultServerHealthIndicator extends AbstractHealthIndicator {

	/**
	 * Vault cannot serve the application's requests right now.
	 */
	public static final Status UNAVAILABLE = new Status("UNAVAILABLE",
			"Vault cannot be reached or cannot serve; leases stay valid until they expire (see vaultLeases)");

	private final Supplier<VaultServerStatus> status;

	/**
	 * Create an indicator.
	 * @param status asks Vault for its status
	 */
	public VaultServerHealthIndicator(Supplier<VaultServerStatus> status) {
		super("Vault server health check failed");
		this.status = status;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		VaultServerStatus server = this.status.get();
		if (server.isServing()) {
			builder.up();
		}
		else {
			builder.status(UNAVAILABLE);
		}
		builder.withDetail("reachable", server.reachable());
		if (server.node() != null) {
			builder.withDetail("node", server.node().toString());
		}
		if (server.reachable()) {
			builder.withDetail("initialized", server.initialized())
				.withDetail("sealed", server.sealed())
				.withDetail("standby", server.standby());
			if (server.version() != null) {
				builder.withDetail("version", server.version());
			}
		}
		if (server.error() != null) {
			builder.withDetail("error", server.error());
		}
	}

}
