package io.github.vaultdatasource.jdbc;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.util.ConcurrentBag.IConcurrentBagEntry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Evicts from a HikariCP pool only the connections of one generation of credentials. HikariCP's
 * public {@code softEvictConnections()} marks every pooled connection, so a rotation that surged
 * the pool with connections of the new credentials would close those too and log in again one by
 * one. HikariCP offers no public way to evict an idle connection by what it is, so this reaches
 * the pool's entries through reflection (the members are named in the runtime hints); when they
 * cannot be reached (another HikariCP version, a module system that refuses access) it falls back
 * to evicting everything, which is correct, only slower.
 */
final class GenerationEviction {

	static final String POOL_CLASS = "com.zaxxer.hikari.pool.HikariPool";

	static final String BAG_FIELD = "connectionBag";

	static final String ENTRY_CLASS = "com.zaxxer.hikari.pool.PoolEntry";

	static final String CONNECTION_FIELD = "connection";

	static final String EVICT_METHOD = "softEvictConnection";

	private static final Log logger = LogFactory.getLog(GenerationEviction.class);

	private static final String REPLACED = "(connection of replaced credentials)";

	private static final @Nullable Members MEMBERS = Members.resolve();

	private GenerationEviction() {
	}

	/**
	 * Whether connections can be evicted selectively with the HikariCP on the class path.
	 * @return whether {@link #evict} evicts only the connections it is asked to
	 */
	static boolean selective() {
		return MEMBERS != null;
	}

	/**
	 * Evict the pooled connections whose physical connection matches: idle ones are closed now,
	 * borrowed ones when they are returned. Without access to the pool's entries, every pooled
	 * connection is evicted.
	 * @param pool the pool (HikariCP's {@code HikariPool}, as its MXBean)
	 * @param replaced whether a physical connection belongs to the replaced credentials
	 * @return how many connections were marked, or {@code -1} when every connection was evicted
	 */
	static int evict(HikariPoolMXBean pool, Predicate<Connection> replaced) {
		int marked = evict(pool, replaced, Integer.MAX_VALUE, REPLACED);
		if (marked < 0) {
			pool.softEvictConnections();
		}
		return marked;
	}

	/**
	 * Evict at most {@code limit} of the pooled connections whose physical connection matches,
	 * idle ones first: idle ones are closed now (and HikariCP fills the pool after closing them),
	 * borrowed ones when they are returned. Unlike borrowing a connection to evict it, this never
	 * waits and never counts as a borrower's timeout in HikariCP's metrics.
	 * @param pool the pool (HikariCP's {@code HikariPool}, as its MXBean)
	 * @param which whether a physical connection may be evicted
	 * @param limit how many to evict at most
	 * @param reason why, for HikariCP's debug log
	 * @return how many connections were marked, or {@code -1} when the pool's entries cannot be
	 * reached (then nothing was done)
	 */
	static int evict(HikariPoolMXBean pool, Predicate<Connection> which, int limit, String reason) {
		Members members = MEMBERS;
		if (members == null || !members.pool().isInstance(pool)) {
			return -1;
		}
		try {
			// Idle entries first: they close now, borrowed ones only when returned.
			List<Object> candidates = new ArrayList<>();
			List<Object> borrowed = new ArrayList<>();
			for (Object entry : (List<?>) members.values().invoke(members.bag().get(pool))) {
				Object connection = members.connection().get(entry);
				if (connection instanceof Connection physical && which.test(physical)) {
					(isIdle(entry) ? candidates : borrowed).add(entry);
				}
			}
			candidates.addAll(borrowed);
			int marked = 0;
			for (Object entry : candidates) {
				if (marked >= limit) {
					break;
				}
				members.softEvict().invoke(pool, entry, reason, false);
				marked++;
			}
			return marked;
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			logger.debug("HikariCP's entries could not be read", ex);
			return -1;
		}
	}

	private static boolean isIdle(Object entry) {
		return entry instanceof IConcurrentBagEntry bagEntry
				&& bagEntry.getState() == IConcurrentBagEntry.STATE_NOT_IN_USE;
	}

	private record Members(Class<?> pool, Field bag, Method values, Field connection, Method softEvict) {

		static @Nullable Members resolve() {
			try {
				Class<?> pool = Class.forName(POOL_CLASS, false, GenerationEviction.class.getClassLoader());
				Class<?> entry = Class.forName(ENTRY_CLASS, false, pool.getClassLoader());
				Field bag = pool.getDeclaredField(BAG_FIELD);
				Method values = bag.getType().getMethod("values");
				Field connection = entry.getDeclaredField(CONNECTION_FIELD);
				Method softEvict = pool.getDeclaredMethod(EVICT_METHOD, entry, String.class, boolean.class);
				bag.setAccessible(true);
				connection.setAccessible(true);
				softEvict.setAccessible(true);
				return new Members(pool, bag, values, connection, softEvict);
			}
			catch (ReflectiveOperationException | RuntimeException | LinkageError ex) {
				logger.debug("HikariCP's pool entries cannot be reached; rotations evict every pooled connection",
						ex);
				return null;
			}
		}

	}

}
