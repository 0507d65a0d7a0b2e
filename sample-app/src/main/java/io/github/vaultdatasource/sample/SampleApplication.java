package io.github.vaultdatasource.sample;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * A small service whose database credentials come from Vault and rotate while it runs.
 */
@SpringBootApplication
public class SampleApplication {

	private static final Log logger = LogFactory.getLog(SampleApplication.class);

	public static void main(String[] args) {
		SpringApplication.run(SampleApplication.class, args);
	}

	@Bean
	@ConditionalOnBooleanProperty("sample.traffic.enabled")
	DemoTraffic demoTraffic(@Value("${sample.traffic.threads:4}") int threads) {
		return new DemoTraffic(threads);
	}

	@Bean
	@ConditionalOnBooleanProperty(name = "sample.report-database-user", matchIfMissing = true)
	ApplicationRunner reportDatabaseUser(JdbcTemplate jdbc) {
		return (args) -> logger.info("Connected to the database as " + jdbc.queryForObject("SELECT session_user",
				String.class));
	}

}
