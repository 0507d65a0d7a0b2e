/**
 * Auto-configuration of Vault-issued, rotating credentials for Boot's HikariCP DataSource, its
 * {@code vault.*} properties and failure analyzers.
 */
@NullMarked
package io.github.vaultdatasource.autoconfigure;

import org.jspecify.annotations.NullMarked;
