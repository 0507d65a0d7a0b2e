package io.github.vaultdatasource.autoconfigure;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.sql.DataSource;

import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;

/**
 * Makes Spring Boot's Prometheus Pushgateway manager push its final metrics after the data sources
 * closed and revoked their leases, so that a revocation that failed at shutdown reaches Prometheus
 * (with {@code management.prometheus.metrics.export.pushgateway.shutdown-operation=put}). Without
 * it, the manager, created after the data sources, is destroyed first and pushes before they
 * revoke. Does nothing unless the Pushgateway export is enabled.
 */
final class ShutdownMetricsPushOrdering implements BeanFactoryPostProcessor {

	/**
	 * The bean name of Boot's {@code PrometheusPushGatewayManager}.
	 */
	static final String PUSH_GATEWAY_MANAGER = "prometheusPushGatewayManager";

	@Override
	public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
		if (!beanFactory.containsBeanDefinition(PUSH_GATEWAY_MANAGER)) {
			return;
		}
		// A bean that depends on another is destroyed before it.
		for (String name : beanFactory.getBeanNamesForType(DataSource.class, true, false)) {
			if (!beanFactory.containsBeanDefinition(name)) {
				continue;
			}
			BeanDefinition definition = beanFactory.getBeanDefinition(name);
			List<String> dependsOn = new ArrayList<>();
			if (definition.getDependsOn() != null) {
				dependsOn.addAll(Arrays.asList(definition.getDependsOn()));
			}
			if (!dependsOn.contains(PUSH_GATEWAY_MANAGER)) {
				dependsOn.add(PUSH_GATEWAY_MANAGER);
				definition.setDependsOn(dependsOn.toArray(String[]::new));
			}
		}
	}

}
