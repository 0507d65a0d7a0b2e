/**
 * HikariCP integration: supplies Vault-issued credentials to the pool, tracks which connections
 * belong to which credentials, and switches and drains the pool on rotation.
 */
@NullMarked
package io.github.vaultdatasource.jdbc;

import org.jspecify.annotations.NullMarked;
