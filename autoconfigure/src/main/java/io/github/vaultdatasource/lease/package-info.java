/**
 * The lease lifecycle engine: decides when to renew, rotate or retry, on a private scheduler.
 */
@NullMarked
package io.github.vaultdatasource.lease;

import org.jspecify.annotations.NullMarked;
