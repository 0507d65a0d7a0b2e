package io.github.vaultdatasource.autoconfigure;

import java.time.Clock;

import com.zaxxer.hikari.HikariDataSource;
import io.github.vaultdatasource.lease.LeaseLifecycle;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.RotationReason;
import io.github.vaultdatasource.vault.DatabaseSecretsClient;
import io.github.vaultdatasource.vault.VaultDatabaseSecretsClient;
import io.github.vaultdatasource.vault.VaultNodes;
import io.github.vaultdatasource.vault.VaultTokenManager;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.util.StringUtils;
import org.springframework.vault.core.VaultTemplate;

/**
 * Auto-configuration that gives Boot's HikariCP DataSource credentials issued by Vault's database
 * secrets engine, renews and rotates them, and revokes them on shutdown.
 */
@AutoConfiguration(before = DataSourceAutoConfiguration.class)
@ConditionalOnClass({ HikariDataSource.class, VaultTemplate.class })
@ConditionalOnBooleanProperty(name = "vault.enabled", matchIfMissing = true)
@EnableConfigurationProperties(VaultDataSourceProperties.class)
public final class VaultDataSourceAutoConfiguration {

	// By type: a @ServiceConnection (or any other VaultConnectionDetails bean) replaces the properties.
	@Bean
	@ConditionalOnMissingBean(VaultConnectionDetails.class)
	PropertiesVaultConnectionDetails vaultConnectionDetails(VaultDataSourceProperties properties) {
		return new PropertiesVaultConnectionDetails(properties);
	}

	// One per context: every Vault client starts at the node that answered last.
	@Bean
	@ConditionalOnMissingBean
	VaultNodes vaultNodes(VaultConnectionDetails connectionDetails) {
		return VaultDataSourceConfiguration.nodes(connectionDetails);
	}

	@Bean
	@ConditionalOnMissingBean
	VaultTokenManager vaultTokenManager(VaultConnectionDetails connectionDetails, VaultDataSourceProperties properties,
			VaultNodes nodes, ObjectProvider<SslBundles> sslBundles) {
		return VaultDataSourceConfiguration.tokenManager(connectionDetails, properties, nodes,
				sslBundles.getIfAvailable(), Clock.systemUTC());
	}

	@Bean
	@ConditionalOnMissingBean(DatabaseSecretsClient.class)
	VaultDatabaseSecretsClient vaultDatabaseSecretsClient(VaultConnectionDetails connectionDetails,
			VaultDataSourceProperties properties, VaultTokenManager tokenManager) {
		return VaultDataSourceConfiguration.secretsClient(connectionDetails, properties, tokenManager,
				Clock.systemUTC());
	}

	@Bean
	@ConditionalOnMissingBean
	ManagedLeases vaultManagedLeases(ObjectProvider<VaultTokenManager> tokenManager) {
		ManagedLeases leases = new ManagedLeases();
		// A new login means the old token, and the leases issued under it, will soon be gone.
		tokenManager.ifAvailable((tokens) -> tokens.onRelogin(() -> leases.all()
			.forEach((LeaseLifecycle lease) -> lease.rotateNow(RotationReason.TOKEN_RELOGIN))));
		return leases;
	}

	@Bean
	VaultDataSourceRegistrar vaultDataSourceRegistrar(VaultDataSourceProperties properties,
			VaultConnectionDetails connectionDetails, DatabaseSecretsClient client,
			ObjectProvider<VaultTokenManager> tokenManager, ApplicationEventPublisher events, ManagedLeases leases,
			Environment environment) {
		StartupChecks.validate(properties);
		StartupChecks.warnAboutUnknownProperties(environment);
		// spring.datasource.* configures Boot's dataSource, which Vault serves only under the short form.
		if (properties.getDatasources().isEmpty() || StringUtils.hasText(connectionDetails.getDatabaseRole())) {
			StartupChecks.warnAboutIgnoredCredentials(environment, client.credentialsPath());
		}
		VaultTokenManager tokens = tokenManager.getIfAvailable();
		return new VaultDataSourceRegistrar(properties, connectionDetails, client,
				() -> tokens != null && tokens.invalidate(), events, leases, Clock.systemUTC());
	}

	// Vault's answer for the first credentials arrives while the rest of the application starts.
	@Bean
	static VaultCredentialsPrefetcher vaultCredentialsPrefetcher(ObjectProvider<VaultDataSourceRegistrar> registrar) {
		return new VaultCredentialsPrefetcher(registrar);
	}

	@Bean
	static VaultDataSourceBeanPostProcessor vaultDataSourceBeanPostProcessor(
			ObjectProvider<VaultDataSourceRegistrar> registrar) {
		return new VaultDataSourceBeanPostProcessor(registrar);
	}

}
