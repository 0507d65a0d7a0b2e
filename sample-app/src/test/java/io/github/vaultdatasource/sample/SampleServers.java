package io.github.vaultdatasource.sample;

import io.github.vaultdatasource.testsupport.VaultTestEnvironment;

import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Points the sample app at the OpenBao and PostgreSQL of {@code scripts/services.sh}, with a Vault
 * role of its own whose users act as the owner role (as Flyway's migrations need), the way the
 * demo runs it.
 */
final class SampleServers {

	private SampleServers() {
	}

	/**
	 * Return a role name no other test run uses.
	 * @param prefix the start of the name, three letters
	 * @return the name
	 */
	static String roleName(String prefix) {
		return VaultTestEnvironment.uniqueName(prefix).substring(0, 8);
	}

	/**
	 * Define (or redefine) the role with the TTLs given.
	 * @param role the role name
	 * @param defaultTtl the lease duration, such as {@code 5s}
	 * @param maxTtl the longest a lease can be renewed to, such as {@code 12s}
	 */
	static void createRole(String role, String defaultTtl, String maxTtl) {
		VaultTestEnvironment.get().createOwnerSessionRole(role, defaultTtl, maxTtl);
	}

	/**
	 * Define the role, and register the properties that point the app at the servers and the
	 * role, from a {@code @DynamicPropertySource} method.
	 * @param registry the registry
	 * @param role the role name
	 * @param defaultTtl the lease duration, such as {@code 5s}
	 * @param maxTtl the longest a lease can be renewed to, such as {@code 12s}
	 */
	static void register(DynamicPropertyRegistry registry, String role, String defaultTtl, String maxTtl) {
		createRole(role, defaultTtl, maxTtl);
		VaultTestEnvironment env = VaultTestEnvironment.get();
		registry.add("vault.uri", env::vaultAddress);
		registry.add("vault.token", env::rootToken);
		registry.add("vault.database.role", () -> role);
		registry.add("spring.datasource.url", env::jdbcUrl);
	}

	/**
	 * Return the same settings as command-line arguments, for an app started by the test itself.
	 * @param role the role
	 * @return the arguments
	 */
	static String[] arguments(String role) {
		VaultTestEnvironment env = VaultTestEnvironment.get();
		return new String[] { "--vault.uri=" + env.vaultAddress(), "--vault.token=" + env.rootToken(),
				"--vault.database.role=" + role, "--spring.datasource.url=" + env.jdbcUrl() };
	}

}
