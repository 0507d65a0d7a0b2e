/**
 * The benchmark suite: scenarios, the simulated fleet, the report, table, JSON and plot.
 */
package io.github.vaultdatasource.benchmarks;
