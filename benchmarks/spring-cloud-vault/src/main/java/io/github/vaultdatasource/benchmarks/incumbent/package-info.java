/**
 * The incumbent benchmarked: a Spring Boot application on Spring Cloud Vault's database backend.
 */
@NullMarked
package io.github.vaultdatasource.benchmarks.incumbent;

import org.jspecify.annotations.NullMarked;
