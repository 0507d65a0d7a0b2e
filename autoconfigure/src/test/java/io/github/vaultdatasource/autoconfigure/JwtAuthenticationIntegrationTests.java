package io.github.vaultdatasource.autoconfigure;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.github.vaultdatasource.testsupport.AuthMethodFixture;
import io.github.vaultdatasource.testsupport.StartupFailures;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Integration tests for {@link VaultDataSourceAutoConfiguration} logging in with a workload
 * identity token ({@code vault.authentication=jwt}): OpenBao's {@code jwt} auth method, mounted at
 * a path of its own, trusts a test RSA key, and the token file holds a JWT signed with it, shaped
 * like a projected service account token. The file is read again at every login, so a platform
 * that replaces short-lived tokens is followed.
 */
class JwtAuthenticationIntegrationTests {

	private static final String NAMESPACE = "vds-it";

	private static final String SERVICE_ACCOUNT = "orders";

	private static final String AUDIENCE = "vault";

	private static final JsonMapper json = JsonMapper.builder().build();

	private final VaultTestEnvironment environment = VaultTestEnvironment.get();

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(DataSourceAutoConfiguration.class, VaultDataSourceAutoConfiguration.class))
		.withPropertyValues("spring.datasource.url=" + this.environment.jdbcUrl(),
				"vault.uri=" + this.environment.vaultAddress(), "vault.authentication=jwt");

	@TempDir
	Path temp;

	private KeyPair keys;

	@AutoClose
	private AuthMethodFixture jwt;

	@BeforeEach
	void setUpJwtAuth() throws GeneralSecurityException {
		KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
		generator.initialize(2048);
		this.keys = generator.generateKeyPair();
		this.jwt = AuthMethodFixture.mount(this.environment, "it-jwt", "jwt");
		this.jwt.write("config", Map.of("jwt_validation_pubkeys", List.of(pem(this.keys))));
		Map<String, Object> jwtRole = new LinkedHashMap<>();
		jwtRole.put("role_type", "jwt");
		jwtRole.put("bound_audiences", List.of(AUDIENCE));
		jwtRole.put("user_claim", "sub");
		jwtRole.put("bound_subject", "system:serviceaccount:" + NAMESPACE + ":" + SERVICE_ACCOUNT);
		jwtRole.put("token_policies", List.of(this.jwt.role()));
		jwtRole.put("token_ttl", "10m");
		this.jwt.write("role/" + this.jwt.role(), jwtRole);
	}

	@Test
	void dataSourceConnectsWithCredentialsIssuedAfterJwtLogin() throws Exception {
		Path tokenFile = this.temp.resolve("token");
		Files.writeString(tokenFile, serviceAccountToken(this.keys.getPrivate(), SERVICE_ACCOUNT));
		// The token's display name comes from the auth mount path: "v-jwt-…".
		this.jwt.assertServesAsAnIssuedUserAndRevokesItOnShutdown(this.contextRunner.withPropertyValues(login(tokenFile)),
				"v-jwt-");
	}

	@Test
	void tokenOfAnotherSubjectIsRefusedNamingTheJwtProperties() throws Exception {
		Path tokenFile = this.temp.resolve("token");
		Files.writeString(tokenFile, serviceAccountToken(this.keys.getPrivate(), "payments"));
		this.contextRunner
			.withPropertyValues(login(tokenFile))
			.run((context) -> {
				assertThat(context).hasFailed();
				VaultDataSourceException failure = StartupFailures.cause(context.getStartupFailure(),
						VaultDataSourceException.class);
				assertThat(failure.getDescription()).contains("JWT").contains("failed");
				assertThat(failure.getAction()).contains("vault.jwt.role").contains("vault.jwt.token-file");
			});
	}

	@Test
	void missingTokenFileFailsStartupNamingTheProperty() {
		this.contextRunner
			.withPropertyValues(login(this.temp.resolve("absent")))
			.run((context) -> assertThat(
					StartupFailures.cause(context.getStartupFailure(), VaultDataSourceException.class).getDescription())
				.contains("vault.jwt.token-file"));
	}

	private String[] login(Path tokenFile) {
		return new String[] { "vault.database.role=" + this.jwt.role(), "vault.jwt.role=" + this.jwt.role(),
				"vault.jwt.path=" + this.jwt.path(), "vault.jwt.token-file=" + tokenFile };
	}

	private static String pem(KeyPair keys) {
		String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
			.encodeToString(keys.getPublic().getEncoded());
		return "-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----\n";
	}

	/**
	 * Sign a JWT shaped like a projected Kubernetes service account token.
	 */
	private static String serviceAccountToken(PrivateKey key, String serviceAccount) throws GeneralSecurityException {
		Instant now = Instant.now();
		Map<String, Object> header = Map.of("alg", "RS256", "typ", "JWT");
		Map<String, Object> claims = new LinkedHashMap<>();
		claims.put("iss", "https://kubernetes.default.svc.cluster.local");
		claims.put("sub", "system:serviceaccount:" + NAMESPACE + ":" + serviceAccount);
		claims.put("aud", List.of(AUDIENCE));
		claims.put("iat", now.getEpochSecond());
		claims.put("nbf", now.getEpochSecond());
		claims.put("exp", now.plus(Duration.ofMinutes(10)).getEpochSecond());
		claims.put("kubernetes.io", Map.of("namespace", NAMESPACE, "serviceaccount",
				Map.of("name", serviceAccount, "uid", UUID.randomUUID().toString())));
		String signingInput = base64Url(json.writeValueAsBytes(header)) + "." + base64Url(json.writeValueAsBytes(claims));
		Signature signature = Signature.getInstance("SHA256withRSA");
		signature.initSign(key);
		signature.update(signingInput.getBytes(StandardCharsets.US_ASCII));
		return signingInput + "." + base64Url(signature.sign());
	}

	private static String base64Url(byte[] bytes) {
		return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
	}

}
