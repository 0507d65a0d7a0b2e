package io.github.vaultdatasource.autoconfigure;

import java.time.Instant;
import java.util.Optional;

import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.metrics.VaultLeaseMetrics;
import io.github.vaultdatasource.vault.VaultTokenManager;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer metrics ({@code vault.datasource.*}) for the Vault leases behind managed data sources.
 */
@AutoConfiguration(after = { VaultDataSourceAutoConfiguration.class, MetricsAutoConfiguration.class,
		CompositeMeterRegistryAutoConfiguration.class })
@ConditionalOnClass({ MeterBinder.class, MetricsAutoConfiguration.class })
@ConditionalOnBean({ MeterRegistry.class, ManagedLeases.class })
@ConditionalOnBooleanProperty(name = "vault.metrics.enabled", matchIfMissing = true)
public final class VaultDataSourceMetricsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	VaultLeaseMetrics vaultLeaseMetrics(ManagedLeases leases, ObjectProvider<VaultTokenManager> tokenManager) {
		VaultTokenManager tokens = tokenManager.getIfAvailable();
		return new VaultLeaseMetrics(leases, () -> (tokens != null) ? tokens.tokenTimeToLive() : Optional.empty(),
				Instant::now);
	}

	@Bean
	static ShutdownMetricsPushOrdering vaultDataSourceShutdownMetricsPushOrdering() {
		return new ShutdownMetricsPushOrdering();
	}

}
