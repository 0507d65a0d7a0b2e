/**
 * Micrometer metrics for Vault leases, renewals, rotations and the Vault token.
 */
@NullMarked
package io.github.vaultdatasource.metrics;

import org.jspecify.annotations.NullMarked;
