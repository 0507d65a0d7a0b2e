/**
 * Public API of vault-datasource: Vault-issued database credentials, their lease, and the events
 * published while they are renewed, rotated and revoked.
 */
@NullMarked
package io.github.vaultdatasource;

import org.jspecify.annotations.NullMarked;
