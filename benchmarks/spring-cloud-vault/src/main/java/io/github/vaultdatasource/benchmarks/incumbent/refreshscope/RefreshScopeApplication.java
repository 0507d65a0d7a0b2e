package io.github.vaultdatasource.benchmarks.incumbent.refreshscope;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.github.vaultdatasource.benchmarks.incumbent.IncumbentLoad;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.boot.jdbc.autoconfigure.DataSourceProperties;
import org.springframework.cloud.context.config.annotation.RefreshScope;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * The first pattern of HashiCorp's tutorial "Reload HashiCorp Vault secrets in Spring
 * applications" ({@code reload/vault-dynamic-secrets}), written from its description: Spring Cloud
 * Vault's database backend supplies {@code spring.datasource.username/password}; the
 * {@code DataSource} is a {@link RefreshScope @RefreshScope} bean built with
 * {@link DataSourceBuilder} from {@link DataSourceProperties}; and {@link LeaseExpiryRefresher}
 * refreshes the context when Spring Vault reports the database lease expired, so the pool is
 * destroyed and rebuilt on next use.
 */
@SpringBootApplication
@Import(IncumbentLoad.class)
public class RefreshScopeApplication {

	private static final Log logger = LogFactory.getLog(RefreshScopeApplication.class);

	public static void main(String[] args) {
		System.exit(SpringApplication.exit(SpringApplication.run(RefreshScopeApplication.class, args)));
	}

	@Bean
	@RefreshScope
	DataSource dataSource(DataSourceProperties properties,
			@Value("${spring.datasource.hikari.maximum-pool-size:10}") int maximumPoolSize) {
		HikariDataSource pool = DataSourceBuilder.create()
			.type(HikariDataSource.class)
			.url(properties.getUrl())
			.username(properties.getUsername())
			.password(properties.getPassword())
			.build();
		// The tutorial's builder leaves HikariCP's defaults (10); the suite passes the same size to every pool.
		pool.setMaximumPoolSize(maximumPoolSize);
		// The tutorial logs the credentials at INFO when it builds a pool; reproduced so the suite can
		// count what such a log leaks (it redacts the log once it has counted).
		logger.info("rebuild data source: " + properties.getUsername() + "," + properties.getPassword());
		return pool;
	}

}
