package io.github.vaultdatasource.benchmarks.incumbent.springcloudvault;

import io.github.vaultdatasource.benchmarks.incumbent.IncumbentLoad;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Import;

/**
 * Spring Cloud Vault as its documentation configures it: its database backend
 * ({@code spring.config.import=vault://}) puts the credentials into
 * {@code spring.datasource.username/password} once, and Boot builds its usual HikariCP pool from
 * them. Configured by the benchmark suite through arguments and the environment.
 */
@SpringBootApplication
@Import(IncumbentLoad.class)
public class SpringCloudVaultApplication {

	public static void main(String[] args) {
		System.exit(SpringApplication.exit(SpringApplication.run(SpringCloudVaultApplication.class, args)));
	}

}
