/**
 * The incumbent benchmarked: a Spring Boot application on Spring Cloud Vault's database backend.
 */
package io.github.vaultdatasource.benchmarks.incumbent;
