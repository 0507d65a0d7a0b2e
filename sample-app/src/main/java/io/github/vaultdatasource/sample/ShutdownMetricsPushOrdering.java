package io.github.vaultdatasource.sample;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.sql.DataSource;

import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.stereotype.Component;

/**
 * Makes Spring Boot's Prometheus Pushgateway manager push the final metrics after the data sources
 * closed and revoked their leases, so that a revocation that failed on shutdown reaches Prometheus
 * (with {@code management.prometheus.metrics.export.pushgateway.shutdown-operation=put}). Without
 * it the manager, created after the data source, is destroyed first and pushes before the
 * revocation. Does nothing unless the Pushgateway export is enabled.
 */
@Component
class ShutdownMetricsPushOrdering implements BeanFactoryPostProcessor {

	// The bean name of Boot's PrometheusPushGatewayManager (PrometheusMetricsExportAutoConfiguration).
	private static final String PUSH_GATEWAY_MANAGER = "prometheusPushGatewayManager";

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
			dependsOn.add(PUSH_GATEWAY_MANAGER);
			definition.setDependsOn(dependsOn.toArray(String[]::new));
		}
	}

}
