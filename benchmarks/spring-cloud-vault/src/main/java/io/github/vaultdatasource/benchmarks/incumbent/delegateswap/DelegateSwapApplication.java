package io.github.vaultdatasource.benchmarks.incumbent.delegateswap;

import java.util.Map;

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
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.vault.core.lease.SecretLeaseContainer;
import org.springframework.vault.core.lease.domain.RequestedSecret;
import org.springframework.vault.core.lease.event.SecretLeaseCreatedEvent;
import org.springframework.vault.core.lease.event.SecretLeaseExpiredEvent;

/**
 * The second pattern of HashiCorp's tutorial "Reload HashiCorp Vault secrets in Spring
 * applications" ({@code reload/vault-graalvm}), written from its description: when Spring Vault
 * reports the database lease (RENEW mode) expired, it asks the lease container for a rotating
 * secret on the same path; each time that secret is created (ROTATE mode) it builds a new pool
 * from the new credentials and swaps it into the {@link SwappingDataSource} the application uses.
 * The previous pool is never closed.
 */
@SpringBootApplication
@Import(IncumbentLoad.class)
public class DelegateSwapApplication {

	private static final Log logger = LogFactory.getLog(DelegateSwapApplication.class);

	public static void main(String[] args) {
		System.exit(SpringApplication.exit(SpringApplication.run(DelegateSwapApplication.class, args)));
	}

	@Bean
	SwappingDataSource dataSource(DataSourceProperties properties, SecretLeaseContainer leaseContainer,
			@Value("${spring.cloud.vault.database.role}") String role,
			@Value("${spring.cloud.vault.database.backend}") String backend,
			@Value("${spring.datasource.hikari.maximum-pool-size:10}") int maximumPoolSize) {
		SwappingDataSource dataSource = new SwappingDataSource(
				build(properties.getUrl(), properties.getUsername(), properties.getPassword(), maximumPoolSize));
		String path = backend + "/creds/" + role;
		leaseContainer.addLeaseListener((event) -> {
			if (!path.equals(event.getSource().getPath())) {
				return;
			}
			if (event instanceof SecretLeaseExpiredEvent && event.getSource().getMode() == RequestedSecret.Mode.RENEW) {
				logger.info("expire lease, rotate database credentials");
				leaseContainer.requestRotatingSecret(path);
			}
			else if (event instanceof SecretLeaseCreatedEvent created
					&& event.getSource().getMode() == RequestedSecret.Mode.ROTATE) {
				Map<String, Object> secrets = created.getSecrets();
				String username = (String) secrets.get("username");
				String password = (String) secrets.get("password");
				logger.info("update database properties : " + username + "," + password);
				properties.setUsername(username);
				properties.setPassword(password);
				dataSource.swap(build(properties.getUrl(), username, password, maximumPoolSize));
			}
		});
		return dataSource;
	}

	private static DataSource build(String url, String username, String password, int maximumPoolSize) {
		// The tutorial logs the credentials at INFO when it builds a pool; reproduced so the suite can
		// count what such a log leaks (it redacts the log once it has counted).
		logger.info("build data source: " + username + "," + password);
		HikariDataSource pool = DataSourceBuilder.create()
			.type(HikariDataSource.class)
			.url(url)
			.username(username)
			.password(password)
			.build();
		// The tutorial's builder leaves HikariCP's defaults (10); the suite passes the same size to every pool.
		pool.setMaximumPoolSize(maximumPoolSize);
		return pool;
	}

}
