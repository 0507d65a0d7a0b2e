package io.github.vaultdatasource.jdbc;

import java.time.Duration;
import java.time.Instant;

import com.zaxxer.hikari.HikariPoolMXBean;
import io.github.vaultdatasource.DatabaseCredentials;
import io.github.vaultdatasource.lease.CredentialsTarget.Retirement;
import io.github.vaultdatasource.lease.CredentialsTarget.RetirementReport;
import org.jspecify.annotations.Nullable;

/**
 * The retirement of one set of replaced credentials in a HikariCP pool, as short steps: wait for
 * logins that read the old credentials before the switch (HikariCP issue 1836), surge (unless every
 * old connection's successor was opened ahead: then the old ones are swapped for those), evict the
 * old generation's connections (only those: see {@link GenerationEviction}), sweep until no old
 * connection is left, restore the pool. Steps run on the lease lifecycle's
 * thread one at a time; only the surge state is shared with other retirements of the same pool.
 */
final class PoolRetirement implements Retirement {

	private static final Duration POLL = Duration.ofMillis(10);

	private final HikariCredentialRotator rotator;

	private final CredentialTrackingDataSource connections;

	private final DatabaseCredentials next;

	private final DatabaseCredentials previous;

	private final long switchedAt = System.nanoTime();

	private volatile boolean previousDead;

	private Step step = Step.AWAIT_LOGINS;

	private int wanted;

	private boolean surged;

	private long surgeDeadline;

	private long surgeReadyAt;

	private long evictedAt;

	private long lastEvictedAt;

	private long drainedAt;

	private int left;

	private boolean refused;

	PoolRetirement(HikariCredentialRotator rotator, DatabaseCredentials next, DatabaseCredentials previous,
			boolean previousDead) {
		this.rotator = rotator;
		this.connections = rotator.connections();
		this.next = next;
		this.previous = previous;
		this.previousDead = previousDead;
	}

	@Override
	public synchronized @Nullable Duration advance(Instant deadline) {
		HikariPoolMXBean pool = this.rotator.poolBean();
		boolean beforeDeadline = Instant.now().isBefore(deadline);
		if (pool == null && this.step != Step.DONE) {
			// Not started yet, or closed. A lazily started pool publishes itself only once its
			// constructor is done, and that constructor has already logged in (HikariCP's fail-fast
			// check): those connections are the old credentials' too. Wait until it can be asked.
			if (!this.rotator.isPoolClosed() && beforeDeadline && (this.connections.openConnections(this.previous) > 0
					|| this.connections.loginsInFlight(this.previous) > 0)) {
				return POLL;
			}
			finish(this.rotator.isPoolClosed() ? 0 : this.connections.openConnections(this.previous));
			return null;
		}
		long now = System.nanoTime();
		switch (this.step) {
			case AWAIT_LOGINS -> {
				// A login that read the old credentials before the switch may still be under way;
				// evicting before it lands would let an old connection join the pool afterwards.
				if (this.connections.loginsInFlight(this.previous) > 0 && beforeDeadline) {
					return POLL;
				}
				// When every old connection has a successor opened ahead, they are swapped one for one:
				// growing the pool would only put twice its connections to work at once, and on a busy
				// database host that, not the switch, is what the application's queries would feel.
				this.wanted = (this.previousDead || openedAhead()) ? 0 : this.rotator.beginSurge();
				this.surged = this.wanted > 0;
				if (this.surged) {
					// Let the surge open connections with the new credentials before the old ones go:
					// evicting at once leaves borrowers waiting on HikariCP's single connection adder.
					// Never longer than half of what is left before the deadline, which the drain needs.
					long budget = Math.max(0, Duration.between(Instant.now(), deadline).toNanos() / 2);
					this.surgeDeadline = now + Math.min(this.rotator.settings().surgeWait().toNanos(), budget);
					this.step = Step.SURGE;
					return Duration.ZERO;
				}
				this.surgeReadyAt = now;
				return evict(pool, now);
			}
			case SURGE -> {
				if (!this.previousDead && !this.rotator.isSurgeRefused() && this.surgeDeadline - now > 0
						&& this.connections.openConnections(this.next) < this.wanted) {
					return POLL;
				}
				this.refused = this.rotator.isSurgeRefused();
				this.surgeReadyAt = now;
				return evict(pool, now);
			}
			case SWEEP -> {
				if (this.connections.openConnections(this.previous) > 0 && beforeDeadline) {
					// Evict again what joined the pool since: a login that ended just before the
					// eviction enters HikariCP's bag only after it (and after any connection init SQL),
					// so its stamp alone cannot tell it apart. Selective eviction is idempotent and
					// marks only old connections, so each sweep repeats it; evicting everything
					// (the fallback) waits for a login stamped after the last eviction.
					if (GenerationEviction.selective() || this.previousDead
							|| this.connections.openedSince(this.previous, this.lastEvictedAt)) {
						this.lastEvictedAt = now;
						evictPrevious(pool);
					}
					return this.rotator.settings().sweepInterval();
				}
				finish(this.connections.openConnections(this.previous));
				return null;
			}
			default -> {
				return null;
			}
		}
	}

	private boolean openedAhead() {
		return this.connections.stashed(this.next) >= this.connections.openConnections(this.previous);
	}

	private Duration evict(HikariPoolMXBean pool, long now) {
		this.evictedAt = now;
		this.lastEvictedAt = now;
		if (this.surged) {
			this.rotator.surgeReady();
		}
		evictPrevious(pool);
		this.step = Step.SWEEP;
		return this.rotator.settings().sweepInterval();
	}

	// Only the old generation: the surge's new connections serve on instead of being closed with
	// the old ones and opened again one by one.
	private void evictPrevious(HikariPoolMXBean pool) {
		GenerationEviction.evict(pool, (connection) -> this.connections.openedWith(this.previous, connection));
	}

	private void finish(int left) {
		this.drainedAt = System.nanoTime();
		if (this.evictedAt == 0) {
			this.evictedAt = this.drainedAt;
			this.surgeReadyAt = this.drainedAt;
		}
		this.left = left;
		this.step = Step.DONE;
		if (this.surged) {
			this.surged = false;
			this.rotator.endSurge();
		}
		// Opened ahead for the pool and never taken: the revocation would end their sessions, and a
		// late login with the old credentials must not be handed one of them afterwards.
		this.connections.discardStashed(this.previous);
		if (left == 0) {
			this.connections.forget(this.previous);
		}
	}

	@Override
	public void previousDead() {
		this.previousDead = true;
	}

	@Override
	public synchronized void abandon() {
		if (this.step != Step.DONE) {
			finish(this.connections.openConnections(this.previous));
		}
	}

	@Override
	public synchronized RetirementReport report() {
		long surgeReady = (this.surgeReadyAt != 0) ? this.surgeReadyAt : this.switchedAt;
		long drained = (this.drainedAt != 0) ? this.drainedAt : System.nanoTime();
		long evicted = (this.evictedAt != 0) ? this.evictedAt : drained;
		return new RetirementReport(Duration.ofNanos(Math.max(0, surgeReady - this.switchedAt)),
				Duration.ofNanos(Math.max(0, drained - evicted)), this.left, this.refused);
	}

	private enum Step {

		AWAIT_LOGINS, SURGE, SWEEP, DONE

	}

}
