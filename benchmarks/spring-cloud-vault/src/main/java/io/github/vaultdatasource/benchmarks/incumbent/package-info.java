/**
 * The incumbents benchmarked, each a Spring Boot application on Spring Cloud Vault's database
 * backend started by the suite in its own JVM, and the benchmark load they share.
 */
@NullMarked
package io.github.vaultdatasource.benchmarks.incumbent;

import org.jspecify.annotations.NullMarked;
