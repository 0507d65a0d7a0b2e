package io.github.vaultdatasource.benchmarks.incumbent.delegateswap;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

import javax.sql.DataSource;

/**
 * A {@link DataSource} that hands every call to the pool currently held in an
 * {@link AtomicReference}; {@link #swap} replaces that pool and, as in the tutorial, leaves the
 * previous one open.
 */
public class SwappingDataSource implements DataSource {

	private final AtomicReference<DataSource> delegate;

	SwappingDataSource(DataSource initial) {
		this.delegate = new AtomicReference<>(initial);
	}

	void swap(DataSource next) {
		this.delegate.set(next);
	}

	@Override
	public Connection getConnection() throws SQLException {
		return this.delegate.get().getConnection();
	}

	@Override
	public Connection getConnection(String username, String password) throws SQLException {
		return this.delegate.get().getConnection(username, password);
	}

	@Override
	public PrintWriter getLogWriter() throws SQLException {
		return this.delegate.get().getLogWriter();
	}

	@Override
	public void setLogWriter(PrintWriter out) throws SQLException {
		this.delegate.get().setLogWriter(out);
	}

	@Override
	public void setLoginTimeout(int seconds) throws SQLException {
		this.delegate.get().setLoginTimeout(seconds);
	}

	@Override
	public int getLoginTimeout() throws SQLException {
		return this.delegate.get().getLoginTimeout();
	}

	@Override
	public Logger getParentLogger() throws SQLFeatureNotSupportedException {
		return this.delegate.get().getParentLogger();
	}

	@Override
	public <T> T unwrap(Class<T> type) throws SQLException {
		return this.delegate.get().unwrap(type);
	}

	@Override
	public boolean isWrapperFor(Class<?> type) throws SQLException {
		return this.delegate.get().isWrapperFor(type);
	}

}
