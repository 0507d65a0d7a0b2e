package io.github.vaultdatasource.jdbc;

import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicInteger;

import com.zaxxer.hikari.HikariPoolMXBean;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link GenerationEviction}. The eviction itself is exercised on a real pool by
 * {@link PoolRetirementTests}; these pin down when it can be selective and what it does when not.
 */
class GenerationEvictionTests {

	@Test
	void reachesThePoolEntriesOfTheHikariCpOnTheClassPath() {
		// A HikariCP upgrade that renames the members makes every rotation evict the whole pool
		// again: this test is where that shows, not the benchmark's p99.
		assertThat(GenerationEviction.selective()).isTrue();
	}

	@Test
	void evictsEveryConnectionOfAPoolItCannotLookInto() {
		AtomicInteger softEvictions = new AtomicInteger();
		HikariPoolMXBean pool = (HikariPoolMXBean) Proxy.newProxyInstance(getClass().getClassLoader(),
				new Class<?>[] { HikariPoolMXBean.class }, (proxy, method, args) -> {
					if (method.getName().equals("softEvictConnections")) {
						softEvictions.incrementAndGet();
					}
					return null;
				});
		assertThat(GenerationEviction.evict(pool, (connection) -> true)).isEqualTo(-1);
		assertThat(softEvictions).hasValue(1);
	}

}
