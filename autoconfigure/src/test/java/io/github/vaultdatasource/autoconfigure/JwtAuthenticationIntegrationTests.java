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
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.testsupport.VaultTestEnvironment;
import org.junit.jupiter.api.AfterEach;
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

	private String role;

	private String policy;

	private String authPath;

	@BeforeEach
	void setUpJwtAuth() throws GeneralSecurityException {
		KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
		generator.initialize(2048);
		this.keys = generator.generateKeyPair();
		this.role = VaultTestEnvironment.uniqueName("it-jwt");
		this.policy = this.role;
		this.authPath = VaultTestEnvironment.uniqueName("jwt");
		this.environment.createRole(this.role, "1m", "5m");
		this.environment.createPolicy(this.policy, """
				path "%s/creds/%s" { capabilities = ["read"] }
				path "sys/leases/*" { capabilities = ["update"] }
				""".formatted(this.environment.mount(), this.role));
		this.environment.enableAuth(this.authPath, "jwt");
		this.environment.expectSuccess(this.environment.vault("POST", "auth/" + this.authPath + "/config",
				Map.of("jwt_validation_pubkeys", List.of(pem(this.keys)))), "jwt config");
		Map<String, Object> jwtRole = new LinkedHashMap<>();
		jwtRole.put("role_type", "jwt");
		jwtRole.put("bound_audiences", List.of(AUDIENCE));
		jwtRole.put("user_claim", "sub");
		jwtRole.put("bound_subject", "system:serviceaccount:" + NAMESPACE + ":" + SERVICE_ACCOUNT);
		jwtRole.put("token_policies", List.of(this.policy));
		jwtRole.put("token_ttl", "10m");
		this.environment.expectSuccess(
				this.environment.vault("POST", "auth/" + this.authPath + "/role/" + this.role, jwtRole),
				"jwt role " + this.role);
	}

	@AfterEach
	void tearDownJwtAuth() {
		this.environment.disableAuth(this.authPath);
		this.environment.deletePolicy(this.policy);
		this.environment.deleteRole(this.role);
	}

	@Test
	void dataSourceConnectsWithCredentialsIssuedAfterJwtLogin() throws Exception {
		Path tokenFile = this.temp.resolve("token");
		Files.writeString(tokenFile, serviceAccountToken(this.keys.getPrivate(), SERVICE_ACCOUNT));
		AtomicReference<String> leaseId = new AtomicReference<>();
		AtomicReference<String> username = new AtomicReference<>();
		this.contextRunner
			.withPropertyValues("vault.database.role=" + this.role, "vault.jwt.role=" + this.role,
					"vault.jwt.path=" + this.authPath, "vault.jwt.token-file=" + tokenFile)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				String currentUser = VaultDataSourceIntegrationTests.currentUser(context.getBean(DataSource.class));
				// The token's display name comes from the auth mount path: "v-jwt-…".
				assertThat(currentUser).startsWith("v-jwt-");
				CredentialLease lease = context.getBean(ManagedLeases.class).all().get(0).currentLease();
				assertThat(lease).isNotNull();
				assertThat(lease.username()).isEqualTo(currentUser);
				leaseId.set(lease.leaseId());
				username.set(currentUser);
			});
		assertThat(this.environment.databaseRoles("v-")).doesNotContain(username.get());
		assertThat(this.environment.leaseKnown(leaseId.get())).isFalse();
	}

	@Test
	void tokenOfAnotherSubjectIsRefusedNamingTheJwtProperties() throws Exception {
		Path tokenFile = this.temp.resolve("token");
		Files.writeString(tokenFile, serviceAccountToken(this.keys.getPrivate(), "payments"));
		this.contextRunner
			.withPropertyValues("vault.database.role=" + this.role, "vault.jwt.role=" + this.role,
					"vault.jwt.path=" + this.authPath, "vault.jwt.token-file=" + tokenFile)
			.run((context) -> {
				assertThat(context).hasFailed();
				VaultDataSourceException failure = findCause(context.getStartupFailure());
				assertThat(failure.getDescription()).contains("JWT").contains("failed");
				assertThat(failure.getAction()).contains("vault.jwt.role").contains("vault.jwt.token-file");
			});
	}

	@Test
	void missingTokenFileFailsStartupNamingTheProperty() {
		this.contextRunner
			.withPropertyValues("vault.database.role=" + this.role, "vault.jwt.role=" + this.role,
					"vault.jwt.path=" + this.authPath, "vault.jwt.token-file=" + this.temp.resolve("absent"))
			.run((context) -> assertThat(findCause(context.getStartupFailure()).getDescription())
				.contains("vault.jwt.token-file"));
	}

	static VaultDataSourceException findCause(Throwable failure) {
		for (Throwable candidate = failure; candidate != null; candidate = candidate.getCause()) {
			if (candidate instanceof VaultDataSourceException found) {
				return found;
			}
		}
		throw new AssertionError("No VaultDataSourceException in " + failure);
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
