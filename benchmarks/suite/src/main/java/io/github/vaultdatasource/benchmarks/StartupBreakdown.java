package io.github.vaultdatasource.benchmarks;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.github.vaultdatasource.event.CredentialsIssuedEvent;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.metrics.buffering.StartupTimeline;
import org.springframework.boot.context.metrics.buffering.StartupTimeline.TimelineEvent;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.metrics.StartupStep;

/**
 * Where the startup of the benchmark application went, from Spring's own startup steps (a
 * {@code BufferingApplicationStartup}) and the library's issue event: printed by
 * {@link BenchApplication} in a separate set of launches so that recording the steps never weighs
 * on the timed ones. Every figure is in milliseconds; the time of a bean's creation is its own,
 * without the beans it created on the way.
 */
final class StartupBreakdown {

	private StartupBreakdown() {
	}

	/**
	 * Describe one start as {@code key=value} pairs.
	 * @param context the started application
	 * @param timeline the recorded steps
	 * @param main when {@code main} began
	 * @param jvmToMain milliseconds from the JVM's start to {@code main}
	 * @param refreshed when {@code SpringApplication.run} returned
	 * @param ready when the first query had answered
	 * @return the lines to print: {@code BENCH-BREAKDOWN} with the parts, {@code BENCH-SLOWEST-BEANS}
	 * with the slowest beans by their own time
	 */
	static String describe(ConfigurableApplicationContext context, StartupTimeline timeline, Instant main,
			long jvmToMain, Instant refreshed, Instant ready) {
		Map<String, Double> figures = new LinkedHashMap<>();
		figures.put("jvm-to-main", (double) jvmToMain);
		TimelineEvent refresh = first(timeline.getEvents(), "spring.context.refresh");
		Instant refreshStart = (refresh != null) ? refresh.getStartTime() : main;
		Instant refreshEnd = (refresh != null) ? refresh.getEndTime() : refreshed;
		figures.put("main-to-refresh", millis(main, refreshStart));
		figures.put("refresh", millis(refreshStart, refreshEnd));
		figures.put("refresh-to-ready", millis(refreshEnd, ready));
		figures.put("first-query", millis(refreshed, ready));
		// Configuration classes, auto-configuration conditions and bean factory post-processors.
		figures.put("configuration", sum(timeline.getEvents(), "spring.context.beandef-registry.post-process")
				+ sum(timeline.getEvents(), "spring.context.bean-factory.post-process"));
		Map<Long, Double> childMillis = new HashMap<>();
		for (TimelineEvent event : timeline.getEvents()) {
			Long parent = event.getStartupStep().getParentId();
			if (parent != null) {
				childMillis.merge(parent, millis(event.getDuration()), Double::sum);
			}
		}
		ConfigurableListableBeanFactory beans = context.getBeanFactory();
		Map<String, Double> groups = new LinkedHashMap<>();
		for (String group : List.of("beans-data-source", "beans-vault-datasource", "beans-spring-vault",
				"beans-other")) {
			groups.put(group, 0.0);
		}
		Map<String, Double> ownByBean = new HashMap<>();
		for (TimelineEvent event : timeline.getEvents()) {
			StartupStep step = event.getStartupStep();
			if (!step.getName().equals("spring.beans.instantiate")) {
				continue;
			}
			double own = millis(event.getDuration()) - childMillis.getOrDefault(step.getId(), 0.0);
			String name = tag(step, "beanName");
			groups.merge(group(beans, name), own, Double::sum);
			ownByBean.merge(String.valueOf(name), own, Double::sum);
		}
		figures.putAll(groups);
		List<CredentialsIssuedEvent> issued = context.getBean(BenchApplication.EventRecorder.class)
			.all(CredentialsIssuedEvent.class);
		figures.put("issue", issued.isEmpty() ? 0 : millis(issued.get(0).getIssueLatency()));
		figures.put("classes-loaded",
				(double) java.lang.management.ManagementFactory.getClassLoadingMXBean().getTotalLoadedClassCount());
		figures.put("threads", (double) Thread.activeCount());
		StringBuilder line = new StringBuilder("BENCH-BREAKDOWN");
		figures.forEach((key, value) -> line.append(' ').append(key).append('=')
			.append(String.format(Locale.ROOT, "%.1f", value)));
		// The slowest beans by their own time, to say what a group's time was spent on.
		line.append(System.lineSeparator()).append("BENCH-SLOWEST-BEANS");
		ownByBean.entrySet()
			.stream()
			.sorted(Map.Entry.<String, Double>comparingByValue().reversed())
			.limit(12)
			.forEach((bean) -> line.append(' ').append(bean.getKey()).append('=')
				.append(String.format(Locale.ROOT, "%.1f", bean.getValue())));
		return line.toString();
	}

	// The data source itself (its creation includes the library's issue and validation, which run
	// when the pool is post-processed), the library's own beans, Spring Vault's, all others.
	private static String group(ConfigurableListableBeanFactory beans, @Nullable String name) {
		if (name == null) {
			return "beans-other";
		}
		if (name.equals("dataSource")) {
			return "beans-data-source";
		}
		Class<?> type = beans.containsBean(name) ? beans.getType(name) : null;
		String typeName = (type != null) ? type.getName() : "";
		if (typeName.startsWith("io.github.vaultdatasource.") && !typeName.startsWith("io.github.vaultdatasource.benchmarks.")) {
			return "beans-vault-datasource";
		}
		if (typeName.startsWith("org.springframework.vault.")) {
			return "beans-spring-vault";
		}
		return "beans-other";
	}

	private static @Nullable String tag(StartupStep step, String key) {
		for (StartupStep.Tag tag : step.getTags()) {
			if (tag.getKey().equals(key)) {
				return tag.getValue();
			}
		}
		return null;
	}

	private static @Nullable TimelineEvent first(List<TimelineEvent> events, String name) {
		return events.stream().filter((event) -> event.getStartupStep().getName().equals(name)).findFirst().orElse(null);
	}

	private static double sum(List<TimelineEvent> events, String name) {
		return events.stream()
			.filter((event) -> event.getStartupStep().getName().equals(name))
			.mapToDouble((event) -> millis(event.getDuration()))
			.sum();
	}

	private static double millis(Instant from, Instant to) {
		return millis(Duration.between(from, to));
	}

	private static double millis(Duration duration) {
		return duration.toNanos() / 1e6;
	}

}
