package io.github.vaultdatasource.autoconfigure;

import com.zaxxer.hikari.HikariDataSource;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.flyway.autoconfigure.FlywayConnectionDetails;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.vault.core.VaultTemplate;

/**
 * Auto-configuration that warns at startup when Flyway or Liquibase would migrate with a service
 * connection's own user (a Testcontainers {@code @ServiceConnection} PostgreSQL container's
 * superuser, say) while the application's pool gets its credentials from Vault.
 */
@AutoConfiguration
@ConditionalOnClass({ HikariDataSource.class, VaultTemplate.class })
@ConditionalOnBooleanProperty(name = "vault.enabled", matchIfMissing = true)
public final class VaultDataSourceMigrationAutoConfiguration {

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(FlywayConnectionDetails.class)
	static class FlywayConfiguration {

		@Bean
		static MigrationConnectionBeanPostProcessor<FlywayConnectionDetails> vaultFlywayConnectionWarning() {
			return new MigrationConnectionBeanPostProcessor<>("Flyway", "@FlywayDataSource",
					FlywayConnectionDetails.class, FlywayConnectionDetails::getUsername);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(LiquibaseConnectionDetails.class)
	static class LiquibaseConfiguration {

		@Bean
		static MigrationConnectionBeanPostProcessor<LiquibaseConnectionDetails> vaultLiquibaseConnectionWarning() {
			return new MigrationConnectionBeanPostProcessor<>("Liquibase", "@LiquibaseDataSource",
					LiquibaseConnectionDetails.class, LiquibaseConnectionDetails::getUsername);
		}

	}

}
