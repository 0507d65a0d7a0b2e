package io.github.vaultdatasource.autoconfigure;

import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.aot.hint.BindingReflectionHintsRegistrar;
import org.springframework.aot.hint.ExecutableMode;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.TypeReference;
import org.springframework.util.ClassUtils;

/**
 * Runtime hints for a native image: what the library reaches by reflection outside Spring's own
 * AOT processing. The {@code vault.*} properties are bound with JavaBean accessors, the actuator
 * endpoint's descriptors are written as JSON, and the JDBC driver named by the pool is loaded by
 * class name to open the validation connection of new credentials, and a rotation evicts only the
 * replaced credentials' connections by reading HikariCP's pool entries. Vault's own JSON types are
 * covered by Spring Vault's hints.
 */
class VaultDataSourceRuntimeHints implements RuntimeHintsRegistrar {

	static final String POSTGRESQL_DRIVER = "org.postgresql.Driver";

	private static final String HIKARI_POOL = "com.zaxxer.hikari.pool.HikariPool";

	private static final String HIKARI_POOL_ENTRY = "com.zaxxer.hikari.pool.PoolEntry";

	private static final String HIKARI_BAG = "com.zaxxer.hikari.util.ConcurrentBag";

	private static final String ENDPOINT_DESCRIPTORS = "io.github.vaultdatasource.actuate.endpoint.VaultLeasesEndpoint";

	private final BindingReflectionHintsRegistrar bindings = new BindingReflectionHintsRegistrar();

	@Override
	public void registerHints(RuntimeHints hints, @Nullable ClassLoader classLoader) {
		this.bindings.registerReflectionHints(hints.reflection(), VaultDataSourceProperties.class,
				VaultDataSourceProperties.Ssl.class, VaultDataSourceProperties.Jwt.class,
				VaultDataSourceProperties.Cert.class, VaultDataSourceProperties.AppRole.class,
				VaultDataSourceProperties.Kubernetes.class,
				VaultDataSourceProperties.Database.class, VaultDataSourceProperties.ManagedDataSource.class,
				VaultDataSourceProperties.Lease.class,
				VaultDataSourceProperties.Rotation.class, VaultDataSourceProperties.Health.class,
				VaultDataSourceProperties.Metrics.class, VaultDataSourceProperties.AuthenticationMethod.class);
		if (ClassUtils.isPresent("org.springframework.boot.actuate.endpoint.annotation.Endpoint", classLoader)
				&& ClassUtils.isPresent(ENDPOINT_DESCRIPTORS, classLoader)) {
			for (String descriptor : new String[] { "VaultLeasesDescriptor", "LeaseDescriptor",
					"RotationRequestDescriptor" }) {
				this.bindings.registerReflectionHints(hints.reflection(),
						ClassUtils.resolveClassName(ENDPOINT_DESCRIPTORS + "$" + descriptor, classLoader));
			}
		}
		if (ClassUtils.isPresent(HIKARI_POOL, classLoader)) {
			// The members GenerationEviction reads (it falls back to evicting everything without them).
			hints.reflection()
				.registerType(TypeReference.of(HIKARI_POOL), (type) -> type.withField("connectionBag")
					.withMethod("softEvictConnection", List.of(TypeReference.of(HIKARI_POOL_ENTRY),
							TypeReference.of(String.class), TypeReference.of(boolean.class)),
							ExecutableMode.INVOKE));
			hints.reflection().registerType(TypeReference.of(HIKARI_POOL_ENTRY), (type) -> type.withField("connection"));
			hints.reflection().registerType(TypeReference.of(HIKARI_BAG), MemberCategory.INVOKE_PUBLIC_METHODS);
		}
		if (ClassUtils.isPresent(POSTGRESQL_DRIVER, classLoader)) {
			hints.reflection()
				.registerType(TypeReference.of(POSTGRESQL_DRIVER), MemberCategory.INVOKE_PUBLIC_CONSTRUCTORS);
		}
	}

}
