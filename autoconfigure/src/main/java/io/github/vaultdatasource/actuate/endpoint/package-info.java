/**
 * The {@code vaultleases} actuator endpoint: the managed leases, and forced rotation when allowed.
 */
@NullMarked
package io.github.vaultdatasource.actuate.endpoint;

import org.jspecify.annotations.NullMarked;
