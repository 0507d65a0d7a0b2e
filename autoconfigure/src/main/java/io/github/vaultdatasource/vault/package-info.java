/**
 * Vault client layer: issuing, renewing and revoking database credentials and keeping the Vault
 * token alive, on Spring Vault.
 */
@NullMarked
package io.github.vaultdatasource.vault;

import org.jspecify.annotations.NullMarked;
