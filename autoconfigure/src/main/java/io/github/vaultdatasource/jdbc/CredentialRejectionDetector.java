package io.github.vaultdatasource.jdbc;

import java.sql.SQLException;
import java.util.function.Consumer;

import com.zaxxer.hikari.SQLExceptionOverride;
import org.jspecify.annotations.Nullable;

/**
 * Watches the SQL errors HikariCP sees on pooled connections for signs that the credentials were
 * revoked behind the application's back (SQLState 42501 permission denied, 28P01 login failed),
 * and keeps any exception override the application configured itself.
 */
final class CredentialRejectionDetector implements SQLExceptionOverride {

	static final String PERMISSION_DENIED = "42501";

	private final @Nullable SQLExceptionOverride delegate;

	private final Consumer<String> listener;

	CredentialRejectionDetector(@Nullable SQLExceptionOverride delegate, Consumer<String> listener) {
		this.delegate = delegate;
		this.listener = listener;
	}

	@java.lang.Override
	public SQLExceptionOverride.Override adjudicate(SQLException ex) {
		String sqlState = ex.getSQLState();
		if (PERMISSION_DENIED.equals(sqlState) || CredentialTrackingDataSource.LOGIN_FAILED.equals(sqlState)) {
			this.listener.accept(sqlState);
		}
		return (this.delegate != null) ? this.delegate.adjudicate(ex) : SQLExceptionOverride.Override.CONTINUE_EVICT;
	}

}
