package io.github.vaultdatasource.autoconfigure;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.github.vaultdatasource.autoconfigure.VaultDataSourceRegistrar.ManagedRole;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.DestructionAwareBeanPostProcessor;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

/**
 * Hands the HikariCP pools that are to get Vault-issued credentials — Boot's own
 * {@code dataSource} (or the application's only data source) with {@code vault.database.*}, and each
 * pool named in {@code vault.datasources.<bean name>} — to the {@link VaultDataSourceRegistrar},
 * once Boot has configured them and before they start; other pools are never touched. Once every
 * singleton exists, it waits for the starts the registrar ran beside the creation of the other
 * beans, so that their failures stop startup before the context is refreshed. Before a
 * managed pool is destroyed, it stops its lease lifecycle so the pool closes before the lease is
 * revoked. A name in {@code vault.datasources} that names no bean, or a data source that is not a
 * HikariCP pool, stops startup.
 */
final class VaultDataSourceBeanPostProcessor implements DestructionAwareBeanPostProcessor, Ordered,
		BeanFactoryAware, EnvironmentAware, SmartInitializingSingleton {

	private final ObjectProvider<VaultDataSourceRegistrar> registrar;

	private final Set<String> seen = ConcurrentHashMap.newKeySet();

	private @Nullable ListableBeanFactory beanFactory;

	private Set<String> named = Set.of();

	VaultDataSourceBeanPostProcessor(ObjectProvider<VaultDataSourceRegistrar> registrar) {
		this.registrar = registrar;
	}

	@Override
	public void setBeanFactory(BeanFactory beanFactory) {
		this.beanFactory = (beanFactory instanceof ListableBeanFactory listable) ? listable : null;
	}

	@Override
	public void setEnvironment(Environment environment) {
		Map<String, Object> datasources = Binder.get(environment)
			.bind("vault.datasources", Bindable.mapOf(String.class, Object.class))
			.orElse(Map.of());
		this.named = Set.copyOf(datasources.keySet());
	}

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) {
		if (bean instanceof HikariDataSource pool && !pool.isRunning() && !pool.isClosed()) {
			this.seen.add(beanName);
			VaultDataSourceRegistrar registrar = this.registrar.getObject();
			registrar.roleFor(beanName, isOnlyDataSource(beanName))
				.ifPresent((ManagedRole role) -> registrar.manage(pool, role));
		}
		else if (bean instanceof HikariDataSource && this.named.contains(beanName)) {
			throw new VaultDataSourceException("vault.datasources." + beanName + " names a HikariCP pool that was "
					+ "already started (or closed) when its bean was created, before vault-datasource could give it "
					+ "credentials.",
					"Consider the following: do not open connections from the pool in the method that creates the "
							+ "'" + beanName + "' bean; HikariCP starts the pool on its first getConnection().",
					null);
		}
		else if (bean instanceof DataSource && this.named.contains(beanName)) {
			throw new VaultDataSourceException(
					"vault.datasources." + beanName + " names a data source of type " + bean.getClass().getName()
							+ ", which is not a HikariCP pool; vault-datasource rotates the credentials of "
							+ "HikariCP pools (com.zaxxer.hikari.HikariDataSource) only.",
					"Consider the following: build that data source as a HikariDataSource (DataSourceBuilder.create()"
							+ ".type(HikariDataSource.class), Boot's default), or remove vault.datasources." + beanName
							+ ".",
					null);
		}
		return bean;
	}

	private boolean isOnlyDataSource(String beanName) {
		if (this.beanFactory == null) {
			return false;
		}
		String[] names = this.beanFactory.getBeanNamesForType(DataSource.class, true, false);
		return names.length == 1 && names[0].equals(beanName);
	}

	@Override
	public void afterSingletonsInstantiated() {
		String[] dataSources = (this.beanFactory != null)
				? this.beanFactory.getBeanNamesForType(DataSource.class, true, false) : new String[0];
		Set<String> missing = new TreeSet<>();
		for (String name : this.named) {
			boolean exists = this.beanFactory != null && this.beanFactory.containsBean(name)
					&& this.beanFactory.isTypeMatch(name, DataSource.class);
			// A lazy pool is checked when it is created.
			if (!this.seen.contains(name) && !exists) {
				missing.add(name);
			}
		}
		if (!missing.isEmpty()) {
			String first = missing.iterator().next();
			throw new VaultDataSourceException(
					"vault.datasources." + first + " names no DataSource bean" + ((missing.size() > 1) ? " (nor do "
							+ missing.stream().skip(1).map((name) -> "vault.datasources." + name).toList() + ")" : "")
							+ "; the DataSource beans are " + Arrays.toString(dataSources) + ".",
					"Consider the following: use the DataSource bean's name as the key, for example vault.datasources."
							+ ((dataSources.length > 0) ? dataSources[0] : "dataSource") + ".role=…",
					null);
		}
		VaultDataSourceRegistrar registrar = this.registrar.getIfAvailable();
		if (registrar != null) {
			// The eager pools' starts ran beside the creation of the other beans: their failures stop
			// startup here, before the context is refreshed.
			registrar.startPending();
			// Every eager pool exists now: credentials issued ahead that none took are not needed.
			registrar.discardUnclaimed();
			registrar.checkShortFormUsed(dataSources);
		}
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
