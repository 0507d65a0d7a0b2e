package io.github.vaultdatasource.jdbc;

import java.sql.SQLException;

import com.zaxxer.hikari.SQLExceptionOverride;
import org.jspecify.annotations.Nullable;

/**
 * Watches the SQL errors HikariCP sees on pooled connections for permission errors (SQLState
 * 42501), the sign of credentials revoked behind the application's back: the connection it
 * happened on is evicted, so a revoked user's connection fails at most once instead of serving
 * failures until a rotation, and the lease lifecycle is told so it can check the credentials.
 * An exception override the application configured itself is kept and asked first.
 */
final class CredentialRejectionDetector implements SQLExceptionOverride {

	private final @Nullable SQLExceptionOverride delegate;

	private final boolean evictOnPermissionDenied;

	private final Runnable listener;

	CredentialRejectionDetector(@Nullable SQLExceptionOverride delegate, boolean evictOnPermissionDenied,
			Runnable listener) {
		this.delegate = delegate;
		this.evictOnPermissionDenied = evictOnPermissionDenied;
		this.listener = listener;
	}

	@java.lang.Override
	public SQLExceptionOverride.Override adjudicate(SQLException ex) {
		SQLExceptionOverride.Override decision = (this.delegate != null) ? this.delegate.adjudicate(ex)
				: SQLExceptionOverride.Override.CONTINUE_EVICT;
		if (!CredentialTrackingDataSource.PERMISSION_DENIED.equals(ex.getSQLState())) {
			return decision;
		}
		this.listener.run();
		if (decision == SQLExceptionOverride.Override.CONTINUE_EVICT && this.evictOnPermissionDenied) {
			return SQLExceptionOverride.Override.MUST_EVICT;
		}
		return decision;
	}

}
