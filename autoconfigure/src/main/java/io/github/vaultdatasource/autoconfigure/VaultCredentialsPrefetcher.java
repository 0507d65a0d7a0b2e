package io.github.vaultdatasource.autoconfigure;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import com.zaxxer.hikari.HikariDataSource;

import org.springframework.beans.factory.BeanFactoryInitializer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;

/**
 * Asks Vault for the first credentials of each pool the library is going to manage as soon as the
 * context starts creating its singletons, and then creates those pools before the other singletons
 * (as {@link BeanFactoryInitializer} allows), so that Vault's answer and the pool's start (its
 * check with a first connection) run on the library's thread while the rest of the application
 * starts, rather than from wherever the pool's bean comes in the order. A Vault error still stops
 * startup with the same report; credentials no pool takes are revoked. Only pools known before
 * they exist are asked for ahead: Boot's {@code dataSource} and each bean named in
 * {@code vault.datasources}, when its definition is a non-lazy singleton typed as a HikariCP pool;
 * any other pool gets its credentials when it is created, as without this.
 */
final class VaultCredentialsPrefetcher implements BeanFactoryInitializer<ConfigurableListableBeanFactory>,
		EnvironmentAware {

	private final ObjectProvider<VaultDataSourceRegistrar> registrar;

	private Set<String> candidates = Set.of("dataSource");

	VaultCredentialsPrefetcher(ObjectProvider<VaultDataSourceRegistrar> registrar) {
		this.registrar = registrar;
	}

	@Override
	public void setEnvironment(Environment environment) {
		Set<String> names = new LinkedHashSet<>();
		names.add("dataSource");
		names.addAll(Binder.get(environment)
			.bind("vault.datasources", Bindable.mapOf(String.class, Object.class))
			.orElse(Map.of())
			.keySet());
		this.candidates = names;
	}

	@Override
	public void initialize(ConfigurableListableBeanFactory beanFactory) {
		Set<String> pools = new LinkedHashSet<>();
		for (String name : this.candidates) {
			if (isEagerHikariPool(beanFactory, name)) {
				pools.add(name);
			}
		}
		if (pools.isEmpty()) {
			return;
		}
		VaultDataSourceRegistrar registrar = this.registrar.getIfAvailable();
		if (registrar == null) {
			return;
		}
		Set<String> asked = new LinkedHashSet<>();
		for (String name : pools) {
			registrar.roleFor(name, false).ifPresent((role) -> {
				registrar.prefetch(role);
				asked.add(name);
			});
		}
		// The pools asked for, now, each start queued behind its issue: created in their turn, a
		// start would begin only once the beans before them exist. A pool left unmanaged keeps its turn.
		for (String name : asked) {
			beanFactory.getBean(name);
		}
	}

	private static boolean isEagerHikariPool(ConfigurableListableBeanFactory beanFactory, String name) {
		if (!beanFactory.containsBeanDefinition(name)) {
			return false;
		}
		BeanDefinition definition = beanFactory.getBeanDefinition(name);
		return definition.isSingleton() && !definition.isLazyInit() && !definition.isAbstract()
				&& beanFactory.isTypeMatch(name, HikariDataSource.class);
	}

}
