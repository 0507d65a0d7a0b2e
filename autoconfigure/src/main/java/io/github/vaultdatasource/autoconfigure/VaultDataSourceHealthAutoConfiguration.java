package io.github.vaultdatasource.autoconfigure;

import io.github.vaultdatasource.health.VaultLeasesHealthContributor;
import io.github.vaultdatasource.health.VaultServerHealthIndicator;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.vault.VaultDatabaseSecretsClient;
import io.github.vaultdatasource.vault.VaultHealthClient;
import io.github.vaultdatasource.vault.VaultNodes;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;

/**
 * Health indicators for the Vault leases behind managed data sources ({@code vaultLeases}) and
 * for the Vault server ({@code vaultServer}). A Vault that cannot be reached makes
 * {@code vaultServer} report {@link VaultServerHealthIndicator#UNAVAILABLE}, a status Boot's
 * default aggregation leaves out, so the application's overall health follows the leases.
 */
@AutoConfiguration(after = VaultDataSourceAutoConfiguration.class)
@ConditionalOnClass(AbstractHealthIndicator.class)
@ConditionalOnBean(ManagedLeases.class)
public final class VaultDataSourceHealthAutoConfiguration {

	@Bean
	@ConditionalOnEnabledHealthIndicator("vaultleases")
	@ConditionalOnMissingBean(name = "vaultLeasesHealthContributor")
	VaultLeasesHealthContributor vaultLeasesHealthContributor(ManagedLeases leases,
			VaultDataSourceProperties properties) {
		return new VaultLeasesHealthContributor(leases, properties.getHealth().getExpiryThreshold());
	}

	@Bean
	@ConditionalOnEnabledHealthIndicator("vaultserver")
	@ConditionalOnMissingBean
	@ConditionalOnBean(VaultDatabaseSecretsClient.class)
	VaultServerHealthIndicator vaultServerHealthIndicator(VaultConnectionDetails connectionDetails,
			VaultDataSourceProperties properties, VaultNodes nodes, ObjectProvider<SslBundles> sslBundles) {
		VaultHealthClient client = new VaultHealthClient(VaultDataSourceConfiguration.requestFactory(connectionDetails,
				properties, nodes, sslBundles.getIfAvailable()));
		return new VaultServerHealthIndicator(client::serverStatus);
	}

}
