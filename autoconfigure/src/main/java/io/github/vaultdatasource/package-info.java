/**
 * Public value types of vault-datasource: Vault-issued database credentials and their lease, and
 * the vocabulary (rotation reasons, failure kinds) that events, status and metrics share.
 */
@NullMarked
package io.github.vaultdatasource;

import org.jspecify.annotations.NullMarked;
