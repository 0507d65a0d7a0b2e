package io.github.vaultdatasource.sample;

import org.springframework.boot.SpringApplication;

/**
 * Runs the sample app against PostgreSQL and OpenBao containers: {@code mvn -pl sample-app
 * spring-boot:test-run} (see docs/testing.md).
 */
public class TestSampleApplication {

	public static void main(String[] args) {
		SpringApplication.from(SampleApplication::main).with(ContainersConfiguration.class).run(args);
	}

}
