/**
 * The tutorial's refresh-scope pattern: a {@code @RefreshScope} pool rebuilt after lease expiry.
 */
@NullMarked
package io.github.vaultdatasource.benchmarks.incumbent.refreshscope;

import org.jspecify.annotations.NullMarked;
