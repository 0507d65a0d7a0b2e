/**
 * The query load and latency recording shared by every benchmarked application.
 */
package io.github.vaultdatasource.benchmarks.load;
