package io.github.vaultdatasource.autoconfigure;

import io.github.vaultdatasource.actuate.endpoint.VaultLeasesEndpoint;
import io.github.vaultdatasource.lease.ManagedLeases;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The {@code vaultleases} actuator endpoint, when it is available (exposed and not turned off).
 */
@AutoConfiguration(after = VaultDataSourceAutoConfiguration.class)
@ConditionalOnClass({ Endpoint.class, ConditionalOnAvailableEndpoint.class })
@ConditionalOnBean(ManagedLeases.class)
public final class VaultLeasesEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnAvailableEndpoint
	VaultLeasesEndpoint vaultLeasesEndpoint(ManagedLeases leases) {
		return new VaultLeasesEndpoint(leases);
	}

}
