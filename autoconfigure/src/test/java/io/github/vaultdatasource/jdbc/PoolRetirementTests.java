package io.github.vaultdatasource.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import com.zaxxer.hikari.metrics.IMetricsTracker;
import io.github.vaultdatasource.lease.CredentialsTarget.RetirementReport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static io.github.vaultdatasource.jdbc.RotatingPool.FIRST;
import static io.github.vaultdatasource.jdbc.RotatingPool.SECOND;
import static io.github.vaultdatasource.jdbc.RotatingPool.SWEEP_INTERVAL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link PoolRetirement}, the steps that retire replaced credentials from a real HikariCP
 * pool over a {@link FakeDatabase}: each test drives the steps itself, as the lease lifecycle does.
 */
class PoolRetirementTests {

	private static final Duration POLL = Duration.ofMillis(10);

	private static final String INIT_SQL = "SET application_name = 'orders'";

	@AutoClose
	private RotatingPool fixture;

	@Test
	void waitsForALoginThatReadTheOldCredentialsBeforeEvicting() throws Exception {
		this.fixture = new RotatingPool(2, false).start();
		// HikariCP's connection adder reads the credentials, then logs in: hold that login.
		this.fixture.database.holdLogins(FIRST.username());
		this.fixture.pool.evictConnection(this.fixture.pool.getConnection());
		await().until(() -> this.fixture.database.heldLogins(FIRST.username()) == 1);
		PoolRetirement retirement = this.fixture.rotator.switchTo(SECOND, FIRST, false);
		Instant deadline = Instant.now().plusSeconds(30);
		assertThat(retirement.advance(deadline)).isEqualTo(POLL);
		assertThat(retirement.advance(deadline)).isEqualTo(POLL);
		assertThat(this.fixture.database.open(FIRST)).as("nothing evicted yet").isEqualTo(1);
		this.fixture.database.releaseLogins();
		// The old login lands in the pool after the switch (HikariCP issue 1836) and is retired too.
		RotatingPool.retire(retirement, deadline);
		assertThat(retirement.report().oldConnectionsLeft()).isZero();
		this.fixture.awaitConnections(FIRST, 0);
		this.fixture.awaitConnections(SECOND, 2);
	}

	@Test
	void evictsAnOldConnectionWhoseLoginEndedBeforeTheEvictionButJoinedThePoolAfter() throws Exception {
		this.fixture = new RotatingPool(2, false);
		this.fixture.pool.setConnectionInitSql(INIT_SQL);
		this.fixture.start();
		// HikariCP puts a new connection in its bag only after the login and the init SQL: hold
		// the latter, so the login is over (no longer in flight) when the eviction runs.
		this.fixture.database.holdStatements(INIT_SQL);
		this.fixture.pool.evictConnection(this.fixture.pool.getConnection());
		await().until(() -> this.fixture.database.heldStatements() == 1);
		PoolRetirement retirement = this.fixture.rotator.switchTo(SECOND, FIRST, false);
		Instant deadline = Instant.now().plusSeconds(30);
		assertThat(retirement.advance(deadline)).as("evicted at once: no login in flight").isEqualTo(SWEEP_INTERVAL);
		this.fixture.database.releaseStatements();
		RotatingPool.retire(retirement, deadline);
		assertThat(retirement.report().oldConnectionsLeft()).isZero();
		this.fixture.awaitConnections(FIRST, 0);
		this.fixture.awaitConnections(SECOND, 2);
	}

	@Test
	void sweepsAgainWhenAnOldConnectionJoinsAfterTheEviction() throws Exception {
		this.fixture = new RotatingPool(2, false).start();
		this.fixture.database.holdLogins(FIRST.username());
		this.fixture.pool.evictConnection(this.fixture.pool.getConnection());
		await().until(() -> this.fixture.database.heldLogins(FIRST.username()) == 1);
		PoolRetirement retirement = this.fixture.rotator.switchTo(SECOND, FIRST, false);
		// Past the deadline for waiting on logins: evict now, with the old login still under way.
		assertThat(retirement.advance(Instant.now().minusSeconds(1))).isEqualTo(SWEEP_INTERVAL);
		this.fixture.awaitConnections(FIRST, 0);
		this.fixture.database.releaseLogins();
		this.fixture.awaitConnections(FIRST, 1);
		RotatingPool.retire(retirement, Instant.now().plusSeconds(30));
		assertThat(retirement.report().oldConnectionsLeft()).isZero();
		this.fixture.awaitConnections(FIRST, 0);
		this.fixture.awaitConnections(SECOND, 2);
	}

	@Test
	void theSurgeOpensNewConnectionsBeforeTheOldOnesGoAndThePoolIsRestoredAfter() throws Exception {
		this.fixture = new RotatingPool(2, true).start();
		PoolRetirement retirement = this.fixture.rotator.switchTo(SECOND, FIRST, false);
		Instant deadline = Instant.now().plusSeconds(30);
		Duration wait = advanceThroughSurge(retirement, deadline);
		// Evicted just now: the new generation was opened first.
		assertThat(wait).isEqualTo(SWEEP_INTERVAL);
		assertThat(this.fixture.database.opened(SECOND)).isGreaterThanOrEqualTo(2);
		RotatingPool.retire(retirement, deadline);
		RetirementReport report = retirement.report();
		assertThat(report.oldConnectionsLeft()).isZero();
		assertThat(report.surgeRefused()).isFalse();
		assertThat(report.surge()).isPositive();
		assertThat(this.fixture.pool.getMaximumPoolSize()).isEqualTo(2);
		assertThat(this.fixture.pool.getMinimumIdle()).isEqualTo(2);
		this.fixture.awaitConnections(FIRST, 0);
		// The surge's connections above the restored size are trimmed, not left to the idle timeout.
		await().until(() -> this.fixture.poolBean().getTotalConnections() == 2);
		this.fixture.awaitConnections(SECOND, 2);
	}

	@Test
	void oldConnectionsWhoseSuccessorsWereOpenedAheadAreSwappedForThemWithoutASurge() throws Exception {
		PoolRetirement retirement = switchAfterOpeningAhead(Instant.now().plusSeconds(30), 2);
		Instant deadline = Instant.now().plusSeconds(30);
		assertThat(retirement.advance(deadline)).as("evicted at once").isEqualTo(SWEEP_INTERVAL);
		assertThat(this.fixture.pool.getMaximumPoolSize()).as("not surged").isEqualTo(2);
		assertThat(this.fixture.pool.getMinimumIdle()).isEqualTo(2);
		RotatingPool.retire(retirement, deadline);
		assertThat(retirement.report().oldConnectionsLeft()).isZero();
		this.fixture.awaitConnections(FIRST, 0);
		this.fixture.awaitConnections(SECOND, 2);
		assertThat(this.fixture.database.opened(SECOND)).as("logins of the new credentials: only those opened ahead")
			.isEqualTo(2);
		assertThat(this.fixture.rotator.connections().stashed(SECOND)).isZero();
	}

	@Test
	void aPoolWithSomeSuccessorsNotOpenedAheadStillSurges() throws Exception {
		// A deadline already past: only the validation connection is opened ahead.
		PoolRetirement retirement = switchAfterOpeningAhead(Instant.now().minusSeconds(1), 1);
		Instant deadline = Instant.now().plusSeconds(30);
		advanceThroughSurge(retirement, deadline);
		RotatingPool.retire(retirement, deadline);
		assertThat(retirement.report().oldConnectionsLeft()).isZero();
		assertThat(this.fixture.pool.getMaximumPoolSize()).isEqualTo(2);
		this.fixture.awaitConnections(FIRST, 0);
		await().until(() -> this.fixture.poolBean().getTotalConnections() == 2);
	}

	@Test
	void theSurgesNewConnectionsServeOnAfterTheOldOnesAreEvicted() throws Exception {
		this.fixture = new RotatingPool(2, true).start();
		PoolRetirement retirement = this.fixture.rotator.switchTo(SECOND, FIRST, false);
		Instant deadline = Instant.now().plusSeconds(30);
		advanceThroughSurge(retirement, deadline);
		int surged = this.fixture.database.opened(SECOND);
		RotatingPool.retire(retirement, deadline);
		this.fixture.awaitConnections(FIRST, 0);
		await().until(() -> this.fixture.poolBean().getTotalConnections() == 2);
		assertThat(this.fixture.database.opened(SECOND)).as("logins of the new credentials after the surge")
			.isEqualTo(surged);
	}

	@Test
	void theSurgeOfAFullyBorrowedPoolStartsWithoutBorrowingAndCountsNoTimeout() throws Exception {
		SimpleMeterRegistry registry = startSurgingPoolWithMetrics();
		Connection first = this.fixture.pool.getConnection();
		Connection second = this.fixture.pool.getConnection();
		// New logins take a while, as SCRAM logins to a busy PostgreSQL do.
		this.fixture.database.holdLogins(SECOND.username());
		PoolRetirement retirement = this.fixture.rotator.switchTo(SECOND, FIRST, false);
		Instant deadline = Instant.now().plusSeconds(30);
		assertThat(retirement.advance(deadline)).isEqualTo(Duration.ZERO);
		assertThat(timeouts(registry)).as("the surge's start counted as a borrower's timeout").isZero();
		this.fixture.database.releaseLogins();
		// One of the two borrowed old connections was marked instead (whichever comes first in
		// HikariCP's bag): its return closes it, and HikariCP then fills the surged pool.
		first.close();
		second.close();
		RotatingPool.retire(retirement, deadline);
		assertThat(retirement.report().oldConnectionsLeft()).isZero();
		assertThat(retirement.report().surgeRefused()).isFalse();
		this.fixture.awaitConnections(FIRST, 0);
		await().until(() -> this.fixture.poolBean().getTotalConnections() == 2);
		assertThat(this.fixture.pool.getMaximumPoolSize()).isEqualTo(2);
		assertThat(timeouts(registry)).isZero();
	}

	@Test
	void theEndOfASurgeTrimsBorrowedConnectionsWhenReturnedWithoutWaitingForThem() throws Exception {
		SimpleMeterRegistry registry = startSurgingPoolWithMetrics();
		assertThat(this.fixture.rotator.beginSurge()).isEqualTo(2);
		List<Connection> borrowed = new ArrayList<>();
		for (int i = 0; i < 4; i++) {
			borrowed.add(this.fixture.pool.getConnection());
		}
		// Nothing idle to borrow and evict: the excess is marked and closes when returned.
		this.fixture.rotator.endSurge();
		assertThat(this.fixture.pool.getMaximumPoolSize()).isEqualTo(2);
		for (Connection connection : borrowed) {
			connection.close();
		}
		await().until(() -> this.fixture.poolBean().getTotalConnections() == 2);
		assertThat(timeouts(registry)).as("the trim counted as a borrower's timeout").isZero();
	}

	// A surging pool of 2 whose HikariCP metrics (hikaricp.connections.timeout) are recorded.
	private SimpleMeterRegistry startSurgingPoolWithMetrics() throws SQLException {
		SimpleMeterRegistry registry = new SimpleMeterRegistry();
		this.fixture = new RotatingPool(2, true);
		this.fixture.pool.setMetricRegistry(registry);
		this.fixture.start();
		return registry;
	}

	private static double timeouts(SimpleMeterRegistry registry) {
		return registry.get("hikaricp.connections.timeout").counter().count();
	}

	@Test
	void aSurgeTheDatabaseRefusesIsCutShortAndReported() throws Exception {
		this.fixture = new RotatingPool(2, true).start();
		// No room above the pool's size: the surge's second connection is refused.
		this.fixture.database.maxConnections(2);
		PoolRetirement retirement = this.fixture.rotator.switchTo(SECOND, FIRST, false);
		RotatingPool.retire(retirement, Instant.now().plusSeconds(30));
		RetirementReport report = retirement.report();
		assertThat(report.surgeRefused()).isTrue();
		assertThat(report.oldConnectionsLeft()).isZero();
		assertThat(this.fixture.pool.getMaximumPoolSize()).isEqualTo(2);
		this.fixture.awaitConnections(FIRST, 0);
		this.fixture.awaitConnections(SECOND, 2);
	}

	@Test
	void deadOldCredentialsAreEvictedAtOnceWithoutASurge() throws Exception {
		this.fixture = new RotatingPool(2, true).start();
		this.fixture.database.refuse(FIRST);
		PoolRetirement retirement = this.fixture.rotator.switchTo(SECOND, FIRST, true);
		assertThat(retirement.advance(Instant.now().plusSeconds(30))).isEqualTo(SWEEP_INTERVAL);
		assertThat(this.fixture.pool.getMaximumPoolSize()).as("not surged").isEqualTo(2);
		// Driven on, as the lifecycle does: a connection HikariCP held reserved at the instant of the
		// first eviction is evicted again at the next sweep (a clean-clone CI run at load ~17 once
		// waited 20 s here for a close that only the next sweep brings).
		RotatingPool.retire(retirement, Instant.now().plusSeconds(30));
		this.fixture.awaitConnections(FIRST, 0);
		assertThat(retirement.report().oldConnectionsLeft()).isZero();
	}

	@Test
	void oldCredentialsFoundDeadDuringTheSurgeStopTheWaitForIt() throws Exception {
		this.fixture = new RotatingPool(2, true).start();
		// The surge's logins hang: without news of the old credentials it would wait its 30 s.
		this.fixture.database.holdLogins(SECOND.username());
		PoolRetirement retirement = this.fixture.rotator.switchTo(SECOND, FIRST, false);
		Instant deadline = Instant.now().plusSeconds(30);
		assertThat(retirement.advance(deadline)).isEqualTo(Duration.ZERO);
		assertThat(retirement.advance(deadline)).isEqualTo(POLL);
		this.fixture.database.refuse(FIRST);
		retirement.previousDead();
		assertThat(retirement.advance(deadline)).isEqualTo(SWEEP_INTERVAL);
		this.fixture.awaitConnections(FIRST, 0);
		this.fixture.database.releaseLogins();
		RotatingPool.retire(retirement, deadline);
		assertThat(retirement.report().oldConnectionsLeft()).isZero();
		assertThat(this.fixture.pool.getMaximumPoolSize()).isEqualTo(2);
	}

	@Test
	void theDrainDeadlineLeavesBusyOldConnectionsToThePoolAndReportsThem() throws Exception {
		this.fixture = new RotatingPool(2, false).start();
		try (Connection busy = this.fixture.pool.getConnection()) {
			PoolRetirement retirement = this.fixture.rotator.switchTo(SECOND, FIRST, false);
			Instant deadline = Instant.now().plus(SWEEP_INTERVAL.multipliedBy(4));
			RotatingPool.retire(retirement, deadline);
			assertThat(Instant.now()).isAfterOrEqualTo(deadline);
			RetirementReport report = retirement.report();
			assertThat(report.oldConnectionsLeft()).isEqualTo(1);
			assertThat(report.drain()).isPositive();
			assertThat(busy.isValid(1)).as("a busy connection is never taken from its borrower").isTrue();
			assertThat(this.fixture.database.open(FIRST)).isEqualTo(1);
		}
		// Soft-evicted: it closes when returned.
		this.fixture.awaitConnections(FIRST, 0);
	}

	@Test
	void abandoningASurgedRetirementRestoresThePoolSize() throws Exception {
		this.fixture = new RotatingPool(2, true).start();
		this.fixture.database.holdLogins(SECOND.username());
		PoolRetirement retirement = this.fixture.rotator.switchTo(SECOND, FIRST, false);
		retirement.advance(Instant.now().plusSeconds(30));
		assertThat(this.fixture.pool.getMaximumPoolSize()).isEqualTo(4);
		retirement.abandon();
		assertThat(this.fixture.pool.getMaximumPoolSize()).isEqualTo(2);
		assertThat(this.fixture.pool.getMinimumIdle()).isEqualTo(2);
		assertThat(retirement.report().oldConnectionsLeft()).as("left to the pool").isPositive();
		assertThat(retirement.advance(Instant.now().plusSeconds(30))).isNull();
		this.fixture.database.releaseLogins();
	}

	@Test
	void aPoolStillStartingHasTheOldConnectionItAlreadyOpenedRetiredOnceItRuns() throws Exception {
		this.fixture = new RotatingPool(2, false);
		// HikariCP's constructor logs in (its fail-fast check) before it sets up its metrics, and the
		// data source publishes the pool only when the constructor returns: hold it in between.
		CountDownLatch constructing = new CountDownLatch(1);
		this.fixture.pool.setMetricsTrackerFactory((name, stats) -> {
			try {
				constructing.await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			return new IMetricsTracker() {
			};
		});
		Thread starter = new Thread(() -> {
			try (Connection connection = this.fixture.pool.getConnection()) {
				// Started.
			}
			catch (SQLException ex) {
				throw new IllegalStateException(ex);
			}
		});
		starter.start();
		this.fixture.awaitConnections(FIRST, 1);
		assertThat(this.fixture.pool.getHikariPoolMXBean()).as("not published yet").isNull();
		PoolRetirement retirement = this.fixture.rotator.switchTo(SECOND, FIRST, false);
		Instant deadline = Instant.now().plusSeconds(30);
		assertThat(retirement.advance(deadline)).as("the starting pool holds an old connection").isEqualTo(POLL);
		assertThat(retirement.advance(deadline)).isEqualTo(POLL);
		constructing.countDown();
		starter.join(20_000);
		RotatingPool.retire(retirement, deadline);
		assertThat(retirement.report().oldConnectionsLeft()).isZero();
		this.fixture.awaitConnections(FIRST, 0);
		this.fixture.awaitConnections(SECOND, 2);
	}

	@Test
	void aPoolNotStartedHasNothingToRetire() throws Exception {
		this.fixture = new RotatingPool(2, false);
		PoolRetirement retirement = this.fixture.rotator.switchTo(SECOND, FIRST, false);
		assertThat(retirement.advance(Instant.now().plusSeconds(30))).isNull();
		assertThat(retirement.report().oldConnectionsLeft()).isZero();
	}

	@Test
	void theConnectionsOpenedAheadForTheOldCredentialsAreClosedWhenTheyAreRetired() throws Exception {
		this.fixture = new RotatingPool(2, false).start();
		this.fixture.rotator.prepare(SECOND, Instant.now().plusSeconds(30));
		assertThat(this.fixture.rotator.connections().stashed(SECOND)).isEqualTo(2);
		// Replaced before the pool took them all: none is left for the revocation to end.
		RotatingPool.retire(this.fixture.rotator.switchTo(FIRST, SECOND, false), Instant.now().plusSeconds(30));
		assertThat(this.fixture.rotator.connections().stashed(SECOND)).isZero();
		assertThat(this.fixture.database.open(SECOND)).isZero();
	}

	@Test
	void aClosedPoolHasNothingLeftToRetire() throws Exception {
		this.fixture = new RotatingPool(2, true).start();
		PoolRetirement retirement = this.fixture.rotator.switchTo(SECOND, FIRST, false);
		this.fixture.pool.close();
		assertThat(retirement.advance(Instant.now().plusSeconds(30))).isNull();
		assertThat(retirement.report().oldConnectionsLeft()).isZero();
	}

	// A surging pool of 2 that opened connections ahead with the new credentials, as a rotation's
	// validation does, until the given deadline, then switched to them.
	private PoolRetirement switchAfterOpeningAhead(Instant openUntil, int openedAhead) throws Exception {
		this.fixture = new RotatingPool(2, true).start();
		this.fixture.rotator.prepare(SECOND, openUntil);
		assertThat(this.fixture.rotator.connections().stashed(SECOND)).isEqualTo(openedAhead);
		return this.fixture.rotator.switchTo(SECOND, FIRST, false);
	}

	// Step through the surge, checking that old connections serve until the new ones are open.
	private Duration advanceThroughSurge(PoolRetirement retirement, Instant deadline) {
		Duration wait = retirement.advance(deadline);
		assertThat(this.fixture.pool.getMaximumPoolSize()).as("surged").isEqualTo(4);
		while (POLL.equals(wait) || Duration.ZERO.equals(wait)) {
			assertThat(this.fixture.database.open(FIRST)).as("old connections serve while the surge opens")
				.isGreaterThanOrEqualTo(1);
			HikariCredentialRotator.sleep(wait);
			wait = retirement.advance(deadline);
		}
		return wait;
	}

}
