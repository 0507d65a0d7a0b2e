package io.github.vaultdatasource.autoconfigure;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.flyway.autoconfigure.FlywayConnectionDetails;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseConnectionDetails;
import org.springframework.boot.origin.Origin;
import org.springframework.boot.origin.OriginProvider;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link VaultDataSourceMigrationAutoConfiguration}: the warning when Flyway or Liquibase
 * would migrate with a service connection's user instead of through the Vault-managed pool.
 */
@ExtendWith(OutputCaptureExtension.class)
class VaultDataSourceMigrationAutoConfigurationTests {

	private static final String CONTAINER_PASSWORD = "container-superuser-password-31";

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VaultDataSourceMigrationAutoConfiguration.class));

	@Test
	void flywayDetailsFromAServiceConnectionAreWarnedAboutWithoutThePassword(CapturedOutput output) {
		this.contextRunner.withBean(FlywayConnectionDetails.class, ContainerFlywayDetails::new).run((context) -> {
			assertThat(context).hasNotFailed();
			context.getBean(FlywayConnectionDetails.class);
		});
		assertThat(output).contains("Flyway will connect as 'test' on a connection of its own")
			.contains("@ServiceConnection field 'postgres'")
			.contains("@ServiceConnection(type = JdbcConnectionDetails.class)")
			.contains("@FlywayDataSource")
			.doesNotContain(CONTAINER_PASSWORD);
	}

	@Test
	void liquibaseDetailsFromAServiceConnectionAreWarnedAbout(CapturedOutput output) {
		this.contextRunner.withBean(LiquibaseConnectionDetails.class, ContainerLiquibaseDetails::new)
			.run((context) -> assertThat(context).hasSingleBean(LiquibaseConnectionDetails.class));
		assertThat(output).contains("Liquibase will connect as 'test' on a connection of its own")
			.contains("@LiquibaseDataSource")
			.doesNotContain(CONTAINER_PASSWORD);
	}

	@Test
	void detailsBuiltFromTheToolsOwnPropertiesAreNotWarnedAbout(CapturedOutput output) {
		this.contextRunner.withBean(FlywayConnectionDetails.class, PropertiesFlywayConnectionDetails::new)
			.run((context) -> assertThat(context).hasSingleBean(FlywayConnectionDetails.class));
		assertThat(output).doesNotContain("will connect as");
	}

	@Test
	void detailsWithoutAUserAreNotWarnedAbout(CapturedOutput output) {
		this.contextRunner.withBean(FlywayConnectionDetails.class, () -> new ContainerFlywayDetails(null))
			.run((context) -> assertThat(context).hasSingleBean(FlywayConnectionDetails.class));
		assertThat(output).doesNotContain("will connect as");
	}

	@Test
	void nothingIsCheckedWhenVaultIsDisabled(CapturedOutput output) {
		this.contextRunner.withPropertyValues("vault.enabled=false")
			.withBean(FlywayConnectionDetails.class, ContainerFlywayDetails::new)
			.run((context) -> assertThat(context).doesNotHaveBean(MigrationConnectionBeanPostProcessor.class));
		assertThat(output).doesNotContain("will connect as");
	}

	@Test
	void withoutFlywayOrLiquibaseTheirChecksAreNotRegistered() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(FlywayConnectionDetails.class))
			.run((context) -> assertThat(context).hasBean("vaultLiquibaseConnectionWarning")
				.doesNotHaveBean("vaultFlywayConnectionWarning"));
		this.contextRunner
			.withClassLoader(new FilteredClassLoader(FlywayConnectionDetails.class, LiquibaseConnectionDetails.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(MigrationConnectionBeanPostProcessor.class));
	}

	/**
	 * Shaped like Boot's container connection details: an origin, and the container's user.
	 */
	static class ContainerFlywayDetails implements FlywayConnectionDetails, OriginProvider {

		private final @Nullable String username;

		ContainerFlywayDetails() {
			this("test");
		}

		ContainerFlywayDetails(@Nullable String username) {
			this.username = username;
		}

		@Override
		public @Nullable String getUsername() {
			return this.username;
		}

		@Override
		public @Nullable String getPassword() {
			return CONTAINER_PASSWORD;
		}

		@Override
		public @Nullable String getJdbcUrl() {
			return "jdbc:postgresql://localhost:32768/test";
		}

		@Override
		public Origin getOrigin() {
			return new Origin() {

				@Override
				public String toString() {
					return "@ServiceConnection field 'postgres'";
				}

			};
		}

	}

	static class ContainerLiquibaseDetails implements LiquibaseConnectionDetails {

		@Override
		public String getUsername() {
			return "test";
		}

		@Override
		public String getPassword() {
			return CONTAINER_PASSWORD;
		}

		@Override
		public String getJdbcUrl() {
			return "jdbc:postgresql://localhost:32768/test";
		}

	}

	/**
	 * Named like Boot's adapter of {@code spring.flyway.*}.
	 */
	static class PropertiesFlywayConnectionDetails implements FlywayConnectionDetails {

		@Override
		public String getUsername() {
			return "migrator";
		}

		@Override
		public @Nullable String getPassword() {
			return null;
		}

		@Override
		public @Nullable String getJdbcUrl() {
			return null;
		}

	}

}
