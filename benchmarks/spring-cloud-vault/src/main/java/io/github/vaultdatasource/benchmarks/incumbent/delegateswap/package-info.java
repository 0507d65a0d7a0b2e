/**
 * The tutorial's delegate-swap pattern: a new pool per rotated secret behind a swapping proxy.
 */
@NullMarked
package io.github.vaultdatasource.benchmarks.incumbent.delegateswap;

import org.jspecify.annotations.NullMarked;
