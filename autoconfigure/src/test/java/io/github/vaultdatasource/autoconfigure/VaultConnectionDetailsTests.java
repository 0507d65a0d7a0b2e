package io.github.vaultdatasource.autoconfigure;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

import com.zaxxer.hikari.HikariDataSource;
import io.github.vaultdatasource.autoconfigure.VaultConnectionDetails.Login;
import io.github.vaultdatasource.autoconfigure.VaultDataSourceAutoConfigurationTests.RecordingSecretsClient;
import io.github.vaultdatasource.vault.DatabaseSecretsClient;
import io.github.vaultdatasource.vault.VaultDatabaseSecretsClient;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link VaultConnectionDetails} in {@link VaultDataSourceAutoConfiguration}: built from
 * {@code vault.*} by default, replaced by a bean such as a Testcontainers service connection, and
 * combined with Boot's {@link JdbcConnectionDetails} without letting their static user into the pool.
 */
class VaultConnectionDetailsTests {

	private static final String TOKEN = "hvs.TopSecretTokenValue42";

	private static final String CONTAINER_PASSWORD = "static-Container-Pw9";

	// No database runs here: the first credentials are not checked with a connection.
	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VaultDataSourceAutoConfiguration.class))
		.withPropertyValues("vault.database.validate-on-startup=false");

	@Test
	void connectionDetailsComeFromPropertiesByDefault() {
		this.contextRunner
			.withPropertyValues("vault.uri=https://vault.example.com:8200", "vault.namespace=team-a",
					"vault.database.mount=postgres", "vault.database.role=app", "vault.token=" + TOKEN)
			.run((context) -> {
				assertThat(context).hasNotFailed().hasSingleBean(PropertiesVaultConnectionDetails.class);
				VaultConnectionDetails details = context.getBean(VaultConnectionDetails.class);
				assertThat(details.getUri()).isEqualTo(URI.create("https://vault.example.com:8200"));
				assertThat(details.getNamespace()).isEqualTo("team-a");
				assertThat(details.getDatabaseMount()).isEqualTo("postgres");
				assertThat(details.getDatabaseRole()).isEqualTo("app");
				assertThat(details.getLogin()).isEqualTo(Login.token(TOKEN));
				assertThat(details.getLogin().toString()).doesNotContain(TOKEN);
			});
	}

	@Test
	void appRoleAndKubernetesLoginsComeFromProperties(@TempDir Path directory) throws IOException {
		String tokenFile = Files.writeString(directory.resolve("token"), "eyJhbGciOiJSUzI1NiJ9.e30.c2ln").toString();
		this.contextRunner
			.withPropertyValues("vault.database.role=app", "vault.authentication=approle", "vault.app-role.path=ar",
					"vault.app-role.role-id=role-1", "vault.app-role.secret-id=secret-Xk29fQ")
			.run((context) -> {
				Login login = context.getBean(VaultConnectionDetails.class).getLogin();
				assertThat(login).isEqualTo(Login.appRole("ar", "role-1", "secret-Xk29fQ"));
				assertThat(login.toString()).contains("role-1").doesNotContain("secret-Xk29fQ");
			});
		this.contextRunner
			.withPropertyValues("vault.database.role=app", "vault.authentication=kubernetes",
					"vault.kubernetes.role=my-app", "vault.kubernetes.service-account-token-file=" + tokenFile)
			.run((context) -> assertThat(context.getBean(PropertiesVaultConnectionDetails.class).getLogin())
				.isEqualTo(Login.kubernetes("kubernetes", "my-app", tokenFile)));
	}

	@Test
	void connectionDetailsBeanReplacesProperties() {
		this.contextRunner
			.withPropertyValues("vault.uri=http://127.0.0.1:1", "vault.database.role=from-properties",
					"vault.token=" + TOKEN)
			.withBean(VaultConnectionDetails.class, () -> new FixedConnectionDetails("pg", "from-container"))
			.run((context) -> {
				assertThat(context).hasNotFailed().doesNotHaveBean(PropertiesVaultConnectionDetails.class);
				assertThat(context.getBean(VaultDatabaseSecretsClient.class).credentialsPath())
					.isEqualTo("pg/creds/from-container");
			});
	}

	@Test
	void connectionDetailsBeanIsCheckedLikeProperties() {
		this.contextRunner.withBean(VaultConnectionDetails.class, () -> new FixedConnectionDetails("database", null))
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.isInstanceOf(VaultDataSourceException.class)
				.hasMessageContaining("vault.database.role"));
	}

	@Test
	void jdbcConnectionDetailsGiveTheUrlButVaultGivesTheUser() {
		RecordingSecretsClient client = new RecordingSecretsClient();
		this.contextRunner
			.withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class))
			.withPropertyValues("vault.database.role=app", "vault.token=" + TOKEN,
					"spring.datasource.url=jdbc:postgresql://from-properties.example.com:5432/app")
			.withBean(DatabaseSecretsClient.class, () -> client)
			.withBean(JdbcConnectionDetails.class, ContainerJdbcConnectionDetails::new)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				HikariDataSource pool = context.getBean(HikariDataSource.class);
				assertThat(pool.getJdbcUrl()).isEqualTo(ContainerJdbcConnectionDetails.URL);
				assertThat(pool.getUsername()).isNull();
				assertThat(pool.getPassword()).isNull();
				assertThat(pool.getCredentialsProvider().getCredentials().getUsername()).isEqualTo("v-1");
				assertThat(pool.getCredentialsProvider().getCredentials().getPassword())
					.isEqualTo(RecordingSecretsClient.PASSWORD)
					.isNotEqualTo(CONTAINER_PASSWORD);
			});
		assertThat(client.issued).hasValue(1);
		assertThat(client.revoked).containsExactly("v-1");
	}

	private record FixedConnectionDetails(String mount, @Nullable String role) implements VaultConnectionDetails {

		@Override
		public URI getUri() {
			return URI.create("http://127.0.0.1:1");
		}

		@Override
		public Login getLogin() {
			return Login.token("container-root-token");
		}

		@Override
		public String getDatabaseMount() {
			return this.mount;
		}

		@Override
		public @Nullable String getDatabaseRole() {
			return this.role;
		}

	}

	/**
	 * What Boot's {@code @ServiceConnection} on a PostgreSQL container provides: the container's
	 * static superuser along with its URL.
	 */
	private static final class ContainerJdbcConnectionDetails implements JdbcConnectionDetails {

		static final String URL = "jdbc:postgresql://localhost:32768/test?loggerLevel=OFF";

		@Override
		public String getJdbcUrl() {
			return URL;
		}

		@Override
		public String getUsername() {
			return "test";
		}

		@Override
		public String getPassword() {
			return CONTAINER_PASSWORD;
		}

	}

}
