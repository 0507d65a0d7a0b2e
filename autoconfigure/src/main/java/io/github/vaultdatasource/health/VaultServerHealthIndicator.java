package io.github.vaultdatasource.health;

import java.util.function.Supplier;

import io.github.vaultdatasource.vault.VaultServerStatus;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Health of the Vault server from its {@code sys/health}: {@code UP} when it is initialised and
 * unsealed (a standby counts, since it forwards requests), {@code DOWN} when it is sealed,
 * uninitialised or unreachable. The application keeps working through a Vault outage while its
 * leases last, so this indicator is best kept out of readiness checks.
 */
public class VaultServerHealthIndicator extends AbstractHealthIndicator {

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
			builder.down();
		}
		builder.withDetail("reachable", server.reachable());
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
