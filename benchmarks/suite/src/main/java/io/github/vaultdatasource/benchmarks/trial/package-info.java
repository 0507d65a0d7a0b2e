/**
 * Trial copies of the library's lease lifecycle and policy with the changes proposed for the
 * fleet targets of issue 15, for the fleet simulation only; never used by an application.
 */
@NullMarked
package io.github.vaultdatasource.benchmarks.trial;

import org.jspecify.annotations.NullMarked;
