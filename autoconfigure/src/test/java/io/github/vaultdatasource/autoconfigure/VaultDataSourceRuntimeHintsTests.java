package io.github.vaultdatasource.autoconfigure;

import java.util.List;

import io.github.vaultdatasource.actuate.endpoint.VaultLeasesEndpoint;
import org.junit.jupiter.api.Test;

import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.beans.factory.aot.AotServices;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link VaultDataSourceRuntimeHints}.
 */
class VaultDataSourceRuntimeHintsTests {

	private final RuntimeHints hints = new RuntimeHints();

	VaultDataSourceRuntimeHintsTests() {
		new VaultDataSourceRuntimeHints().registerHints(this.hints, getClass().getClassLoader());
	}

	@Test
	void isRegisteredInAotFactories() {
		assertThat(AotServices.factories().load(RuntimeHintsRegistrar.class))
			.hasAtLeastOneElementOfType(VaultDataSourceRuntimeHints.class);
	}

	@Test
	void propertiesCanBeBoundByAccessors() throws NoSuchMethodException {
		assertThat(RuntimeHintsPredicates.reflection()
			.onMethodInvocation(VaultDataSourceProperties.class.getMethod("setUri", List.class)))
			.accepts(this.hints);
		assertThat(RuntimeHintsPredicates.reflection()
			.onMethodInvocation(VaultDataSourceProperties.Ssl.class.getMethod("getBundle")))
			.accepts(this.hints);
		assertThat(RuntimeHintsPredicates.reflection()
			.onMethodInvocation(VaultDataSourceProperties.Lease.class.getMethod("setDrainShare", double.class)))
			.accepts(this.hints);
		assertThat(RuntimeHintsPredicates.reflection()
			.onMethodInvocation(VaultDataSourceProperties.Rotation.class.getMethod("getSurgeFactor")))
			.accepts(this.hints);
		assertThat(RuntimeHintsPredicates.reflection()
			.onMethodInvocation(VaultDataSourceProperties.class.getMethod("getAppRole"))).accepts(this.hints);
	}

	@Test
	void namedDataSourcesCanBeBoundByAccessors() throws NoSuchMethodException {
		assertThat(RuntimeHintsPredicates.reflection()
			.onMethodInvocation(VaultDataSourceProperties.class.getMethod("getDatasources"))).accepts(this.hints);
		for (String accessor : new String[] { "setRole", "setMount" }) {
			assertThat(RuntimeHintsPredicates.reflection()
				.onMethodInvocation(VaultDataSourceProperties.ManagedDataSource.class.getMethod(accessor, String.class)))
				.accepts(this.hints);
		}
		assertThat(RuntimeHintsPredicates.reflection()
			.onMethodInvocation(
					VaultDataSourceProperties.ManagedDataSource.class.getMethod("setStaticRole", boolean.class)))
			.accepts(this.hints);
		assertThat(RuntimeHintsPredicates.reflection()
			.onMethodInvocation(VaultDataSourceProperties.Database.class.getMethod("setStaticRole", boolean.class)))
			.accepts(this.hints);
	}

	@Test
	void endpointDescriptorsCanBeWrittenAsJson() throws NoSuchMethodException {
		assertThat(RuntimeHintsPredicates.reflection()
			.onMethodInvocation(VaultLeasesEndpoint.LeaseDescriptor.class.getMethod("username"))).accepts(this.hints);
		assertThat(RuntimeHintsPredicates.reflection()
			.onMethodInvocation(VaultLeasesEndpoint.VaultLeasesDescriptor.class.getMethod("leases")))
			.accepts(this.hints);
		assertThat(RuntimeHintsPredicates.reflection()
			.onMethodInvocation(VaultLeasesEndpoint.RotationRequestDescriptor.class.getMethod("dataSource")))
			.accepts(this.hints);
	}

	@Test
	void postgresqlDriverCanBeLoadedByName() throws ClassNotFoundException {
		assertThat(RuntimeHintsPredicates.reflection()
			.onType(Class.forName(VaultDataSourceRuntimeHints.POSTGRESQL_DRIVER))
			.withMemberCategory(MemberCategory.INVOKE_PUBLIC_CONSTRUCTORS))
			.accepts(this.hints);
	}

	@Test
	void hikariCpPoolEntriesCanBeReadForTheEvictionOfOneGeneration() throws Exception {
		Class<?> pool = Class.forName("com.zaxxer.hikari.pool.HikariPool");
		Class<?> entry = Class.forName("com.zaxxer.hikari.pool.PoolEntry");
		assertThat(RuntimeHintsPredicates.reflection().onFieldAccess(pool.getDeclaredField("connectionBag")))
			.accepts(this.hints);
		assertThat(RuntimeHintsPredicates.reflection().onFieldAccess(entry.getDeclaredField("connection")))
			.accepts(this.hints);
		assertThat(RuntimeHintsPredicates.reflection()
			.onMethodInvocation(pool.getDeclaredMethod("softEvictConnection", entry, String.class, boolean.class)))
			.accepts(this.hints);
	}

}
