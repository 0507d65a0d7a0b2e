package io.github.vaultdatasource.jdbc;

import java.sql.SQLException;

import com.zaxxer.hikari.SQLExceptionOverride;
import org.jspecify.annotations.Nullable;

/**
 * Watches the SQL errors HikariCP sees on pooled connections for permission errors (SQLState
 * 42501), the sign of credentials revoked behind the application's back: the connection it
 * happened on is evicted, so a revoked user's connection fails at most once instead of serving
 * failures until a rotation, and the lease lifecycle is told so it can check the credentials. A
 * session ended by an administrator (57P01, as revocation statements end a revoked user's sessions)
 * is reported too; HikariCP evicts that connection itself.
 * An exception override the application configured itself is kept and asked first.
 */
final class CredentialRejectionDetector implements SQLExceptionOverride {

	private static final String ADMIN_SHUTDOWN = "57P01";

	private final @Nullable SQLExceptionOverride delegate;

	private final boolean evictOnPermissionDenied;

	private final Runnable permissionDenied;

	private final Runnable terminated;

	CredentialRejectionDetector(@Nullable SQLExceptionOverride delegate, boolean evictOnPermissionDenied,
			Runnable permissionDenied, Runnable terminated) {
		this.delegate = delegate;
		this.evictOnPermissionDenied = evictOnPermissionDenied;
		this.permissionDenied = permissionDenied;
		this.terminated = terminated;
	}

	@java.lang.Override
	public SQLExceptionOverride.Override adjudicate(SQLException ex) {
		SQLExceptionOverride.Override decision = (this.delegate != null) ? this.delegate.adjudicate(ex)
				: SQLExceptionOverride.Override.CONTINUE_EVICT;
		if (ADMIN_SHUTDOWN.equals(ex.getSQLState())) {
			// Vault's revocation statements end the revoked user's sessions: ask at once, rather than
			// when HikariCP next logs in, whether the credentials still work.
			this.terminated.run();
			return decision;
		}
		if (!CredentialTrackingDataSource.PERMISSION_DENIED.equals(ex.getSQLState())) {
			return decision;
		}
		this.permissionDenied.run();
		if (decision == SQLExceptionOverride.Override.CONTINUE_EVICT && this.evictOnPermissionDenied) {
			return SQLExceptionOverride.Override.MUST_EVICT;
		}
		return decision;
	}

}
