/**
 * Spring application events published while Vault-issued credentials are issued, renewed,
 * rotated and revoked.
 */
@NullMarked
package io.github.vaultdatasource.event;

import org.jspecify.annotations.NullMarked;
