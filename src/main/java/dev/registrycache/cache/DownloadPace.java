package dev.registrycache.cache;

/**
 * When a download last made progress, and how fast it went over the current window of the speed
 * check: what tells a stalled or trickling upstream from a working one. Time spent waiting for
 * the clients of a relayed blob is not held against upstream.
 */
final class DownloadPace {
  private volatile long lastProgressNanos = System.nanoTime();
  private volatile long windowStartNanos;
  private volatile long windowStartBytes;

  /** Upstream answered (or resumed after waiting for clients): the clocks start now. */
  void restart(long nowNanos, long bytes) {
    lastProgressNanos = nowNanos;
    windowStartNanos = nowNanos;
    windowStartBytes = bytes;
  }

  void progressed(long nowNanos) {
    lastProgressNanos = nowNanos;
  }

  long lastProgressNanos() {
    return lastProgressNanos;
  }

  /**
   * Whether fewer than {@code minBytes} arrived in the window of {@code windowNanos} that ends
   * now; a window that passed (with enough, or while {@code waitingForClients}) starts the next.
   * Called from one thread, periodically.
   */
  boolean tooSlow(long nowNanos, long bytes, long windowNanos, long minBytes, boolean waitingForClients) {
    if (nowNanos - windowStartNanos < windowNanos) {
      return false;
    }
    long got = bytes - windowStartBytes;
    windowStartNanos = nowNanos;
    windowStartBytes = bytes;
    return !waitingForClients && got < minBytes;
  }
}
