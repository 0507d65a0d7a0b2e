package io.github.vaultdatasource.lease;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A {@link Clock} whose instant tests move forward themselves.
 */
final class MutableClock extends Clock {

	private Instant instant;

	MutableClock(Instant instant) {
		this.instant = instant;
	}

	@Override
	public Instant instant() {
		return this.instant;
	}

	@Override
	public ZoneId getZone() {
		return ZoneOffset.UTC;
	}

	@Override
	public Clock withZone(ZoneId zone) {
		throw new UnsupportedOperationException("MutableClock is UTC only");
	}

	void setInstant(Instant instant) {
		if (instant.isBefore(this.instant)) {
			throw new IllegalArgumentException("Time does not go backwards: " + instant + " < " + this.instant);
		}
		this.instant = instant;
	}

	void advance(Duration duration) {
		setInstant(this.instant.plus(duration));
	}

}
