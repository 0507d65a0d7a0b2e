/**
 * Testcontainers support: an OpenBao (or Vault) container that issues users of a PostgreSQL
 * container, and the {@code @ServiceConnection} factory that hands it to vault-datasource.
 */
@NullMarked
package io.github.vaultdatasource.testcontainers;

import org.jspecify.annotations.NullMarked;
