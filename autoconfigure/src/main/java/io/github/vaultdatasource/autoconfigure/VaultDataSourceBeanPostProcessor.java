package io.github.vaultdatasource.autoconfigure;

import com.zaxxer.hikari.HikariDataSource;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.DestructionAwareBeanPostProcessor;
import org.springframework.core.Ordered;

/**
 * Hands every HikariCP pool in the context, once Boot has configured it from
 * {@code spring.datasource.*} and connection details, to the {@link VaultDataSourceRegistrar};
 * before the pool is destroyed, stops its lease lifecycle so the pool closes before the lease is
 * revoked.
 */
final class VaultDataSourceBeanPostProcessor implements DestructionAwareBeanPostProcessor, Ordered {

	private final ObjectProvider<VaultDataSourceRegistrar> registrar;

	VaultDataSourceBeanPostProcessor(ObjectProvider<VaultDataSourceRegistrar> registrar) {
		this.registrar = registrar;
	}

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) {
		if (bean instanceof HikariDataSource pool && !pool.isRunning() && !pool.isClosed()) {
			this.registrar.getObject().manage(beanName, pool);
		}
		return bean;
	}

	@Override
	public void postProcessBeforeDestruction(Object bean, String beanName) {
		VaultDataSourceRegistrar registrar = this.registrar.getIfAvailable();
		if (registrar != null && registrar.isManaged(beanName)) {
			registrar.release(beanName);
		}
	}

	@Override
	public boolean requiresDestruction(Object bean) {
		return bean instanceof HikariDataSource;
	}

	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

}
