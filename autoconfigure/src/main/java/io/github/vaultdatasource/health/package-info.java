/**
 * Actuator health indicators for the Vault leases behind managed data sources and for Vault itself.
 */
@NullMarked
package io.github.vaultdatasource.health;

import org.jspecify.annotations.NullMarked;
