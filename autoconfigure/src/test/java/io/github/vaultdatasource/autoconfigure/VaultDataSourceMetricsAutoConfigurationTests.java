package io.github.vaultdatasource.autoconfigure;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.sql.DataSource;

import io.github.vaultdatasource.lease.ManagedLeases;
import io.github.vaultdatasource.metrics.VaultLeaseMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link VaultDataSourceMetricsAutoConfiguration}.
 */
class VaultDataSourceMetricsAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(VaultDataSourceAutoConfiguration.class,
				VaultDataSourceMetricsAutoConfiguration.class, MetricsAutoConfiguration.class,
				SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class))
		.withPropertyValues("vault.uri=http://127.0.0.1:9", "vault.database.role=app", "vault.token=test-token");

	@Test
	void bindsTheMetricsToTheRegistry() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed().hasSingleBean(VaultLeaseMetrics.class);
			assertThat(context.getBean(MeterRegistry.class).find("vault.datasource.token.remaining").timeGauge())
				.isNotNull();
		});
	}

	@Test
	void dataSourcesCloseBeforeThePushgatewayPushesItsFinalMetrics() {
		List<String> destroyed = new CopyOnWriteArrayList<>();
		this.contextRunner
			// Registered in this order, the manager would be destroyed first (reverse order).
			.withBean("dataSource", DataSource.class, () -> new ClosingDataSource(() -> destroyed.add("dataSource")))
			.withBean(ShutdownMetricsPushOrdering.PUSH_GATEWAY_MANAGER, AutoCloseable.class,
					() -> () -> destroyed.add("push"))
			.run((context) -> assertThat(context).hasNotFailed());
		assertThat(destroyed).containsExactly("dataSource", "push");
	}

	@Test
	void canBeTurnedOff() {
		this.contextRunner.withPropertyValues("vault.metrics.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(VaultLeaseMetrics.class));
	}

	@Test
	void backsOffFromAUserBean() {
		VaultLeaseMetrics own = new VaultLeaseMetrics(new ManagedLeases(), Optional::empty, Instant::now);
		this.contextRunner.withBean(VaultLeaseMetrics.class, () -> own)
			.run((context) -> assertThat(context.getBean(VaultLeaseMetrics.class)).isSameAs(own));
	}

	@Test
	void backsOffWithoutAMeterRegistry() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(VaultDataSourceAutoConfiguration.class,
					VaultDataSourceMetricsAutoConfiguration.class))
			.withPropertyValues("vault.uri=http://127.0.0.1:9", "vault.database.role=app", "vault.token=test-token")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(VaultLeaseMetrics.class));
	}

	@Test
	void backsOffWithoutMicrometerOnTheClasspath() {
		this.contextRunner.withClassLoader(new FilteredClassLoader("io.micrometer"))
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(ManagedLeases.class)
				.doesNotHaveBean(VaultLeaseMetrics.class));
	}

	static class ClosingDataSource extends SimpleDriverDataSource implements DisposableBean {

		private final Runnable onClose;

		ClosingDataSource(Runnable onClose) {
			this.onClose = onClose;
		}

		@Override
		public void destroy() {
			this.onClose.run();
		}

	}

}
