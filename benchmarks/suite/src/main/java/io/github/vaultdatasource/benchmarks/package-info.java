/**
 * The benchmark suite: scenarios, the simulated fleet, the report, table, JSON and plot.
 */
@NullMarked
package io.github.vaultdatasource.benchmarks;

import org.jspecify.annotations.NullMarked;
