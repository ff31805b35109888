package dev.registrycache.config;

import java.time.Duration;

/**
 * The slowest a blob download may go: one that receives less than {@code bytesPerSecond} on
 * average over {@code window} is given up (an upstream that trickles is as good as a stalled
 * one, and holds the clients that wait for it). {@code bytesPerSecond} 0 turns the check off.
 */
public record MinSpeed(long bytesPerSecond, Duration window) {
  public static final MinSpeed DEFAULT = new MinSpeed(10 * 1024, Duration.ofSeconds(30));

  public MinSpeed {
    if (bytesPerSecond < 0) {
      throw new IllegalArgumentException("timeouts.minSpeed must not be negative: " + bytesPerSecond);
    }
    if (bytesPerSecond > 0 && (window.isNegative() || window.toMillis() < 1)) {
      throw new IllegalArgumentException("timeouts.minSpeedTime must be positive: " + window);
    }
  }

  public boolean enabled() {
    return bytesPerSecond > 0;
  }

  /** The bytes a download must receive per window. */
  public long bytesPerWindow() {
    return Math.max(1, (long) Math.min(Long.MAX_VALUE, (double) bytesPerSecond * window.toMillis() / 1000));
  }
}
