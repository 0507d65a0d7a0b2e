/**
 * The query load and latency recording shared by every benchmarked application.
 */
@NullMarked
package io.github.vaultdatasource.benchmarks.load;

import org.jspecify.annotations.NullMarked;
