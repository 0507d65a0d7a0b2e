package io.github.vaultdatasource.benchmarks;

import java.awt.AlphaComposite;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import io.github.vaultdatasource.benchmarks.load.Samples;
import io.github.vaultdatasource.benchmarks.load.Stats;

/**
 * Draws query latency over time, one panel per run, with Java2D alone: every query as a dot (log
 * scale), the p99 of each half second as a line, rotation windows shaded, markers such as
 * {@code max_ttl} as vertical lines, failed queries in red along the top.
 */
final class LatencyPlot {

	private static final int WIDTH = 1500;

	private static final int PANEL_HEIGHT = 420;

	private static final int LEFT = 80;

	private static final int RIGHT = 30;

	private static final int TOP = 40;

	private static final int BOTTOM = 50;

	private static final double MIN_MILLIS = 0.1;

	private LatencyPlot() {
	}

	static void draw(Path file, List<Panel> panels) throws IOException {
		System.setProperty("java.awt.headless", "true");
		BufferedImage image = new BufferedImage(WIDTH, PANEL_HEIGHT * panels.size(), BufferedImage.TYPE_INT_RGB);
		Graphics2D g = image.createGraphics();
		g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
		g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
		g.setColor(Color.WHITE);
		g.fillRect(0, 0, image.getWidth(), image.getHeight());
		for (int i = 0; i < panels.size(); i++) {
			drawPanel(g, panels.get(i), i * PANEL_HEIGHT);
		}
		g.dispose();
		ImageIO.write(image, "png", file.toFile());
	}

	private static void drawPanel(Graphics2D g, Panel panel, int offsetY) {
		Samples samples = panel.samples();
		int plotWidth = WIDTH - LEFT - RIGHT;
		int plotHeight = PANEL_HEIGHT - TOP - BOTTOM;
		int top = offsetY + TOP;
		long from = panel.fromNanos();
		long last = (samples.size() > 0) ? samples.start(samples.size() - 1) : from + 1;
		// A panel with an explicit end keeps it even where no query completed (a stalled pool shows as a gap).
		long to = Math.max(from + 1, (panel.toNanos() == Long.MAX_VALUE) ? last : panel.toNanos());
		double maxMillis = 1000;
		for (int i = 0; i < samples.size(); i++) {
			maxMillis = Math.max(maxMillis, Stats.millis(samples.latency(i)));
		}
		double logMin = Math.log10(MIN_MILLIS);
		double logMax = Math.ceil(Math.log10(maxMillis));
		Scale scale = new Scale(from, to, logMin, logMax, LEFT, top, plotWidth, plotHeight);
		g.setColor(new Color(255, 200, 120));
		LatencyWindows windows = panel.windows();
		for (int w = 0; w < windows.size(); w++) {
			if (windows.end(w) < from || windows.start(w) > to) {
				continue;
			}
			int x1 = scale.x(Math.max(windows.start(w), from));
			int x2 = Math.max(x1 + 1, scale.x(Math.min(windows.end(w), to)));
			g.fillRect(x1, top, x2 - x1, plotHeight);
		}
		g.setColor(new Color(230, 230, 230));
		for (double decade = logMin; decade <= logMax; decade++) {
			int y = scale.y(Math.pow(10, decade));
			g.drawLine(LEFT, y, LEFT + plotWidth, y);
		}
		g.setComposite(AlphaComposite.getInstance(AlphaComposite.SRC_OVER, 0.25f));
		g.setColor(new Color(40, 90, 170));
		for (int i = 0; i < samples.size(); i++) {
			long start = samples.start(i);
			if (start < from || start > to || !samples.succeeded(i)) {
				continue;
			}
			g.fillRect(scale.x(start), scale.y(Stats.millis(samples.latency(i))), 2, 2);
		}
		g.setComposite(AlphaComposite.getInstance(AlphaComposite.SRC_OVER, 0.6f));
		g.setColor(new Color(220, 30, 30));
		for (int i = 0; i < samples.size(); i++) {
			long start = samples.start(i);
			if (start >= from && start <= to && !samples.succeeded(i)) {
				g.fillRect(scale.x(start), top + 2 + (i % 12), 2, 2);
			}
		}
		g.setComposite(AlphaComposite.SrcOver);
		drawThroughput(g, samples, scale, from, to);
		drawP99(g, samples, scale, from, to);
		g.setStroke(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] { 6f, 4f }, 0f));
		g.setColor(new Color(150, 0, 150));
		for (long marker : panel.markers()) {
			int x = scale.x(marker);
			g.drawLine(x, top, x, top + plotHeight);
		}
		g.setStroke(new BasicStroke(1f));
		g.setColor(Color.DARK_GRAY);
		g.drawRect(LEFT, top, plotWidth, plotHeight);
		g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
		for (double decade = logMin; decade <= logMax; decade++) {
			double value = Math.pow(10, decade);
			int y = scale.y(value);
			String label = (value < 1) ? Report.f("%.1f ms", value) : Report.f("%.0f ms", value);
			g.drawString(label, LEFT - 8 - g.getFontMetrics().stringWidth(label), y + 4);
		}
		double seconds = (to - from) / 1e9;
		double step = (seconds > 120) ? 20 : (seconds > 40) ? 10 : (seconds > 10) ? 5 : 0.5;
		for (double s = 0; s <= seconds; s += step) {
			int x = scale.x(from + (long) (s * 1e9));
			g.drawLine(x, top + plotHeight, x, top + plotHeight + 4);
			String label = Report.f((step < 1) ? "%.1f s" : "%.0f s", s + from / 1e9);
			g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, top + plotHeight + 18);
		}
		g.drawString("time since load start; dots: every query, black line: p99 per time slice, green line: "
				+ "succeeded queries/s (right axis)", LEFT, top + plotHeight + 38);
		g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
		g.drawString(panel.title(), LEFT, offsetY + 24);
	}

	/**
	 * Succeeded queries per second in each time slice, on a linear axis at the right from 0 to the
	 * panel's highest rate: a stalled pool shows as a drop to the bottom.
	 */
	private static void drawThroughput(Graphics2D g, Samples samples, Scale scale, long from, long to) {
		long bucket = Math.max(100_000_000L, Math.min(1_000_000_000L, (to - from) / 40));
		int buckets = (int) ((to - from) / bucket) + 1;
		double[] rates = new double[buckets];
		for (int i = 0; i < samples.size(); i++) {
			long start = samples.start(i);
			if (start >= from && start < to && samples.succeeded(i)) {
				rates[(int) ((start - from) / bucket)] += 1e9 / bucket;
			}
		}
		double max = 1;
		for (double rate : rates) {
			max = Math.max(max, rate);
		}
		g.setColor(new Color(20, 150, 60));
		g.setStroke(new BasicStroke(1.5f));
		int previousX = -1;
		int previousY = -1;
		for (int b = 0; b < buckets && from + (b + 1) * bucket <= to; b++) {
			int x = scale.x(from + b * bucket + bucket / 2);
			int y = scale.top() + scale.height() - (int) Math.round(rates[b] / max * scale.height());
			if (previousX >= 0) {
				g.drawLine(previousX, previousY, x, y);
			}
			previousX = x;
			previousY = y;
		}
		g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
		String label = Report.f("%.0f q/s", max);
		g.drawString(label, scale.left() + scale.width() - g.getFontMetrics().stringWidth(label) - 4, scale.top() + 12);
		g.drawString("0 q/s", scale.left() + scale.width() - g.getFontMetrics().stringWidth("0 q/s") - 4,
				scale.top() + scale.height() - 4);
	}

	private static void drawP99(Graphics2D g, Samples samples, Scale scale, long from, long to) {
		long bucket = Math.max(50_000_000L, Math.min(500_000_000L, (to - from) / 60));
		g.setColor(Color.BLACK);
		g.setStroke(new BasicStroke(1.5f));
		int previousX = -1;
		int previousY = -1;
		for (long t = from; t < to; t += bucket) {
			long begin = t;
			long end = t + bucket;
			long[] latencies = samples.latencies((start) -> start >= begin && start < end);
			if (latencies.length == 0) {
				previousX = -1;
				continue;
			}
			int x = scale.x(t + bucket / 2);
			int y = scale.y(Stats.millis(Stats.percentile(latencies, 99)));
			if (previousX >= 0) {
				g.drawLine(previousX, previousY, x, y);
			}
			previousX = x;
			previousY = y;
		}
	}

	/**
	 * One panel.
	 *
	 * @param title what it shows
	 * @param samples the queries
	 * @param windows spans to shade, such as rotations
	 * @param markers times to mark with a vertical line
	 * @param fromNanos where the time axis starts
	 * @param toNanos where it ends, or {@code Long.MAX_VALUE} for the last sample
	 */
	record Panel(String title, Samples samples, LatencyWindows windows, List<Long> markers, long fromNanos,
			long toNanos) {

	}

	private record Scale(long from, long to, double logMin, double logMax, int left, int top, int width, int height) {

		int x(long nanos) {
			return this.left + (int) Math.round((double) (nanos - this.from) / (this.to - this.from) * this.width);
		}

		int y(double millis) {
			double value = Math.log10(Math.max(millis, MIN_MILLIS));
			return this.top + this.height - (int) Math.round((value - this.logMin) / (this.logMax - this.logMin) * this.height);
		}

	}

}
