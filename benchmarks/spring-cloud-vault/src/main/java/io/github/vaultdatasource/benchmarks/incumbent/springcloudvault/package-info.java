/**
 * Spring Cloud Vault's database backend as documented, with Boot's own pool.
 */
@NullMarked
package io.github.vaultdatasource.benchmarks.incumbent.springcloudvault;

import org.jspecify.annotations.NullMarked;
