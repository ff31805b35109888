package dev.registrycache.operator.statistics;

/**
 * Increases of a few counters, summed per minute over the last {@link #minutes} minutes: a ring
 * of buckets, so its size never grows. Not thread-safe.
 */
final class CounterWindow {
  private final int minutes;
  private final long[] stamps;
  private final long[][] sums;

  CounterWindow(int minutes, int width) {
    this.minutes = minutes;
    stamps = new long[minutes];
    java.util.Arrays.fill(stamps, Long.MIN_VALUE);
    sums = new long[minutes][width];
  }

  /** Adds increases that happened in {@code minute} (minutes since the epoch). */
  void add(long minute, long[] increase) {
    int i = (int) Math.floorMod(minute, (long) minutes);
    if (stamps[i] != minute) {
      stamps[i] = minute;
      java.util.Arrays.fill(sums[i], 0);
    }
    for (int k = 0; k < increase.length; k++) {
      sums[i][k] += increase[k];
    }
  }

  /** The sums over the window that ends with {@code nowMinute}. */
  long[] total(long nowMinute) {
    long[] out = new long[sums[0].length];
    for (int i = 0; i < minutes; i++) {
      if (stamps[i] > nowMinute - minutes && stamps[i] <= nowMinute) {
        for (int k = 0; k < out.length; k++) {
          out[k] += sums[i][k];
        }
      }
    }
    return out;
  }
}
