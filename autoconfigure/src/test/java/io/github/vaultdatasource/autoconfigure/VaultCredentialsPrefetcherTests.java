package io.github.vaultdatasource.autoconfigure;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.zaxxer.hikari.HikariDataSource;
import io.github.vaultdatasource.CredentialLease;
import io.github.vaultdatasource.DatabaseCredentials;
import io.github.vaultdatasource.vault.DatabaseSecretsClient;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.LazyInitializationBeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link VaultCredentialsPrefetcher}: a pool's first credentials are asked for when the
 * context starts creating its singletons, and taken by the pool when its bean is created. The
 * waits below are for conditions (a call entered), never for a length of time.
 */
class VaultCredentialsPrefetcherTests {

	private static final long WAIT_SECONDS = 10;

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VaultDataSourceAutoConfiguration.class))
		.withPropertyValues("vault.database.validate-on-startup=false", "vault.uri=http://127.0.0.1:1",
				"vault.token=test-token", "vault.database.role=app");

	@Test
	void firstCredentialsAreAskedForBeforeThePoolsBeanAndTakenByIt() {
		ThreadRecordingClient client = new ThreadRecordingClient();
		boolean[] askedBeforePool = new boolean[1];
		this.contextRunner.withBean(DatabaseSecretsClient.class, () -> client)
			.withBean("dataSource", HikariDataSource.class, () -> {
				// Without the prefetch, nothing asks Vault until this bean exists: the wait runs out.
				askedBeforePool[0] = await(client.entered);
				return pool();
			})
			.run((context) -> {
				assertThat(context).hasNotFailed();
				HikariDataSource pool = context.getBean(HikariDataSource.class);
				assertThat(pool.getCredentialsProvider().getCredentials().getUsername()).isEqualTo("v-1");
				assertThat(client.revoked).isEmpty();
			});
		assertThat(askedBeforePool[0]).isTrue();
		// On the library's threads, which carry the strand's name while they run its task.
		assertThat(client.threads).containsExactly("vault-prefetch");
		assertThat(client.revoked).containsExactly("v-1");
	}

	@Test
	void thePoolIsCreatedBeforeTheOtherSingletonsOnceItsCredentialsAreAskedFor() {
		ThreadRecordingClient client = new ThreadRecordingClient();
		List<String> created = new CopyOnWriteArrayList<>();
		this.contextRunner.withBean(DatabaseSecretsClient.class, () -> client)
			// Registered first: without the pool created ahead, it would be created first.
			.withBean("registeredFirst", Object.class, () -> {
				created.add("registeredFirst");
				return new Object();
			})
			.withBean("dataSource", HikariDataSource.class, () -> {
				created.add("dataSource, Vault asked: " + await(client.entered));
				return pool();
			})
			.run((context) -> assertThat(context).hasNotFailed());
		// Its start then queues right behind Vault's answer, while the other beans are created.
		assertThat(created).containsExactly("dataSource, Vault asked: true", "registeredFirst");
	}

	@Test
	void aPoolLeftUnmanagedIsCreatedInItsTurn() {
		ThreadRecordingClient client = new ThreadRecordingClient();
		List<String> created = new CopyOnWriteArrayList<>();
		// With a pool named in vault.datasources and no vault.database.role, Boot's dataSource is not managed.
		this.contextRunner.withPropertyValues("vault.database.role=", "vault.datasources.orders.role=app")
			.withBean(DatabaseSecretsClient.class, () -> client)
			.withBean("registeredFirst", Object.class, () -> {
				created.add("registeredFirst");
				return new Object();
			})
			.withBean("dataSource", HikariDataSource.class, () -> {
				created.add("dataSource");
				return pool();
			})
			.withBean("orders", HikariDataSource.class, () -> {
				created.add("orders");
				return pool();
			})
			.run((context) -> assertThat(context).hasNotFailed());
		assertThat(created).containsExactly("orders", "registeredFirst", "dataSource");
		assertThat(client.threads).hasSize(1);
	}

	@Test
	void severalPoolsAskOneAfterTheOtherOnOneThread() {
		ThreadRecordingClient client = new ThreadRecordingClient();
		// Each issue waits, boundedly, for another to arrive: on threads of their own they would overlap.
		client.overlapWait = new CountDownLatch(2);
		threePools(client).run((context) -> assertThat(context).hasNotFailed());
		assertThat(client.threads).hasSize(3).containsOnly("vault-prefetch");
		assertThat(client.mostAtOnce).hasValue(1);
	}

	@Test
	void aLazyPoolAsksForItsCredentialsWhenItIsCreated() {
		ThreadRecordingClient client = new ThreadRecordingClient();
		this.contextRunner.withBean(DatabaseSecretsClient.class, () -> client)
			.withBean("dataSource", HikariDataSource.class, VaultCredentialsPrefetcherTests::pool,
					(definition) -> definition.setLazyInit(true))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(client.threads).isEmpty();
				HikariDataSource pool = context.getBean(HikariDataSource.class);
				assertThat(pool.getCredentialsProvider().getCredentials().getUsername()).isEqualTo("v-1");
				assertThat(client.threads).containsExactly(Thread.currentThread().getName());
			});
		assertThat(client.revoked).containsExactly("v-1");
	}

	@Test
	void credentialsAskedForAheadAreRevokedWhenStartupFailsBeforeThePool() {
		ThreadRecordingClient client = new ThreadRecordingClient();
		this.contextRunner.withBean(DatabaseSecretsClient.class, () -> client)
			.withBean("failsFirst", Object.class, () -> {
				await(client.returned);
				throw new IllegalStateException("an application bean failed");
			})
			.withBean("dataSource", HikariDataSource.class, VaultCredentialsPrefetcherTests::pool)
			.run((context) -> assertThat(context).hasFailed());
		assertThat(client.threads).hasSize(1);
		assertThat(client.revoked).containsExactly("v-1");
	}

	@Test
	void credentialsAskedForAheadAreRevokedWhenThePoolItselfFailsStartup() {
		ThreadRecordingClient client = new ThreadRecordingClient();
		this.contextRunner.withBean(DatabaseSecretsClient.class, () -> client)
			// No spring.datasource.url: the pool fails before it takes its credentials.
			.withBean("dataSource", HikariDataSource.class, () -> {
				await(client.returned);
				return new HikariDataSource();
			})
			.run((context) -> assertThat(context).hasFailed());
		assertThat(client.threads).hasSize(1);
		assertThat(client.revoked).containsExactly("v-1");
	}

	@Test
	void aPoolNotTypedAsHikariBeforeItExistsAsksWhenItIsCreated() {
		ThreadRecordingClient client = new ThreadRecordingClient();
		boolean[] askedBeforePool = new boolean[1];
		this.contextRunner.withBean(DatabaseSecretsClient.class, () -> client)
			.withBean("dataSource", javax.sql.DataSource.class, () -> {
				// Asked for ahead, the issue would come during this wait; a slow machine can only end it
				// first, so the assertion below cannot fail by chance.
				askedBeforePool[0] = await(client.entered, 1);
				return pool();
			})
			.run((context) -> {
				assertThat(context).hasNotFailed();
				// Then by the pool's start, on the prefetch strand or on the thread that waits for it.
				assertThat(client.threads).hasSize(1);
			});
		assertThat(askedBeforePool[0]).isFalse();
	}

	@Test
	void theChecksAfterThePoolsStartWaitUntilTheContextIsRefreshed() {
		ThreadRecordingClient client = new ThreadRecordingClient();
		boolean[] checkedBeforeRefresh = new boolean[1];
		this.contextRunner.withBean(DatabaseSecretsClient.class, () -> client)
			.withBean("dataSource", HikariDataSource.class, VaultCredentialsPrefetcherTests::pool)
			// Runs once every singleton, the pool included, exists, and before the context is refreshed.
			// Were the checks sent at the pool's start, they would come during this wait; a slow machine
			// can only make it end first, so the assertion below cannot fail by chance.
			.withBean("afterTheSingletons", SmartInitializingSingleton.class,
					() -> () -> checkedBeforeRefresh[0] = await(client.checked, 2))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(await(client.checked, WAIT_SECONDS)).isTrue();
			});
		assertThat(checkedBeforeRefresh[0]).isFalse();
	}

	@Test
	void severalPoolsAreCheckedOneAfterTheOtherOnOneStrand() {
		ThreadRecordingClient client = new ThreadRecordingClient();
		threePools(client).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(await(client.allChecked)).isTrue();
		});
		// Released together at the refresh: on each pool's own strand they would take a thread each.
		assertThat(client.checkThreads).hasSize(3).containsOnly("vault-checks");
	}

	@Test
	void withLazyInitializationAPoolFirstUsedAfterTheRefreshStillGetsItsChecks() {
		ThreadRecordingClient client = new ThreadRecordingClient();
		this.contextRunner
			.withInitializer((context) -> context.addBeanFactoryPostProcessor(new LazyInitializationBeanFactoryPostProcessor()))
			.withBean(DatabaseSecretsClient.class, () -> client)
			.withBean("dataSource", HikariDataSource.class, VaultCredentialsPrefetcherTests::pool)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(client.threads).isEmpty();
				context.getBean(HikariDataSource.class);
				assertThat(await(client.checked)).isTrue();
			});
	}

	@Test
	void theBeansAfterThePoolAreCreatedWhileItsStartWaitsForVault() {
		ThreadRecordingClient client = new ThreadRecordingClient();
		client.gate = new CountDownLatch(1);
		boolean[] vaultStillAnswering = new boolean[1];
		this.contextRunner.withBean(DatabaseSecretsClient.class, () -> client)
			.withBean("dataSource", HikariDataSource.class, VaultCredentialsPrefetcherTests::pool)
			// Created after the pool. Were the pool's bean to wait for its start, this would come only
			// once Vault answered (the gate's bounded wait runs out first).
			.withBean("afterThePool", Object.class, () -> {
				vaultStillAnswering[0] = client.returned.getCount() == 1;
				client.gate.countDown();
				return new Object();
			})
			.run((context) -> {
				assertThat(context).hasNotFailed();
				HikariDataSource pool = context.getBean(HikariDataSource.class);
				assertThat(pool.getCredentialsProvider().getCredentials().getUsername()).isEqualTo("v-1");
			});
		assertThat(vaultStillAnswering[0]).isTrue();
		assertThat(client.threads).containsExactly("vault-prefetch");
	}

	@Test
	void aPoolUsedWhileTheContextStartsWaitsForItsStart() {
		ThreadRecordingClient client = new ThreadRecordingClient();
		client.gate = new CountDownLatch(1);
		this.contextRunner.withBean(DatabaseSecretsClient.class, () -> client)
			.withBean("dataSource", HikariDataSource.class, VaultCredentialsPrefetcherTests::pool)
			.withBean("usesThePool", PoolUser.class)
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(PoolUser.class).user).isEqualTo("v-1");
			});
	}

	/**
	 * As Flyway or JPA would, logs in through the pool while it is created, before Vault answered. The
	 * login waits for the pool's start (Vault answers only once this thread is seen waiting); without
	 * the wait it would fail at once.
	 */
	static final class PoolUser {

		final String user;

		PoolUser(HikariDataSource pool, DatabaseSecretsClient vault) {
			ThreadRecordingClient client = (ThreadRecordingClient) vault;
			Thread waiting = Thread.currentThread();
			new Thread(() -> {
				awaitWaiting(waiting);
				client.gate.countDown();
			}).start();
			this.user = pool.getCredentialsProvider().getCredentials().getUsername();
		}

	}

	@Test
	void credentialsOfAPoolWhoseStartRanAreRevokedWhenStartupFailsAfterThePool() {
		ThreadRecordingClient client = new ThreadRecordingClient();
		client.gate = new CountDownLatch(1);
		this.contextRunner.withBean(DatabaseSecretsClient.class, () -> client)
			.withBean("dataSource", HikariDataSource.class, VaultCredentialsPrefetcherTests::pool)
			.withBean("failsAfterThePool", Object.class, () -> {
				client.gate.countDown();
				throw new IllegalStateException("an application bean failed");
			})
			.run((context) -> assertThat(context).hasFailed());
		// Whether the start had begun or not when the context closed, nothing is left behind.
		assertThat(client.threads).hasSize(1);
		assertThat(client.revoked).containsExactly("v-1");
	}

	// Until the thread blocks or waits (bounded): a thread that never does lets the test fail.
	private static void awaitWaiting(Thread thread) {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
		while (System.nanoTime() < deadline) {
			Thread.State state = thread.getState();
			if (state == Thread.State.BLOCKED || state == Thread.State.WAITING) {
				return;
			}
			try {
				Thread.sleep(5);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	private ApplicationContextRunner threePools(ThreadRecordingClient client) {
		return this.contextRunner
			.withPropertyValues("vault.datasources.orders.role=app", "vault.datasources.reports.role=app",
					"vault.datasources.audit.role=app")
			.withBean(DatabaseSecretsClient.class, () -> client)
			.withBean("orders", HikariDataSource.class, VaultCredentialsPrefetcherTests::pool)
			.withBean("reports", HikariDataSource.class, VaultCredentialsPrefetcherTests::pool)
			.withBean("audit", HikariDataSource.class, VaultCredentialsPrefetcherTests::pool);
	}

	private static boolean await(CountDownLatch latch) {
		return await(latch, WAIT_SECONDS);
	}

	private static boolean await(CountDownLatch latch, long seconds) {
		try {
			return latch.await(seconds, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

	private static HikariDataSource pool() {
		HikariDataSource pool = new HikariDataSource();
		pool.setJdbcUrl("jdbc:postgresql://db.example.com:5432/app");
		return pool;
	}

	/**
	 * Issues {@code v-1}, {@code v-2}, … and records the thread each issue ran on; never calls Vault.
	 */
	static final class ThreadRecordingClient implements DatabaseSecretsClient {

		final List<String> threads = new CopyOnWriteArrayList<>();

		final List<String> revoked = new CopyOnWriteArrayList<>();

		final CountDownLatch entered = new CountDownLatch(1);

		final CountDownLatch returned = new CountDownLatch(1);

		final CountDownLatch checked = new CountDownLatch(1);

		final CountDownLatch allChecked = new CountDownLatch(3);

		final List<String> checkThreads = new CopyOnWriteArrayList<>();

		final AtomicInteger mostAtOnce = new AtomicInteger();

		private final AtomicInteger running = new AtomicInteger();

		volatile CountDownLatch overlapWait;

		// When set, an issue waits (boundedly) until it opens: Vault answering late.
		volatile CountDownLatch gate;

		// Clients for named data sources share this one's records.
		@Override
		public DatabaseSecretsClient forRole(String mount, String role, boolean staticRole) {
			return this;
		}

		@Override
		public String credentialsPath() {
			return "database/creds/app";
		}

		@Override
		public CredentialLease issue() {
			this.threads.add(Thread.currentThread().getName());
			this.entered.countDown();
			CountDownLatch gate = this.gate;
			if (gate != null) {
				await(gate);
			}
			this.mostAtOnce.accumulateAndGet(this.running.incrementAndGet(), Math::max);
			CountDownLatch overlap = this.overlapWait;
			if (overlap != null) {
				overlap.countDown();
				try {
					// Bounds the wait only: what is asserted is how many ran at once.
					overlap.await(1, TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
			this.running.decrementAndGet();
			int number = this.threads.size();
			CredentialLease lease = CredentialLease.issued(new DatabaseCredentials("v-" + number, "pw-" + number),
					"database/creds/app/AbCdEfGh000" + number, true, Instant.now(), Duration.ofHours(1));
			this.returned.countDown();
			return lease;
		}

		@Override
		public LeaseRenewal renew(CredentialLease lease, Duration increment) {
			return new LeaseRenewal(increment, true, false);
		}

		@Override
		public void revoke(CredentialLease lease) {
			this.revoked.add(lease.username());
		}

		@Override
		public List<String> missingPermissions() {
			this.checkThreads.add(Thread.currentThread().getName());
			this.checked.countDown();
			this.allChecked.countDown();
			return List.of();
		}

	}

}
