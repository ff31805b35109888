package dev.registrycache.config;

import java.time.Duration;

/**
 * The background check of stored blobs against their digests: after every start the blobs found
 * on disk are hashed, most recently used first, reading at most {@code bytesPerSecond}; every
 * {@code interval} all of them are hashed again (bit rot while running). {@code bytesPerSecond}
 * 0 turns the background check off (blobs are then hashed when first asked for); {@code
 * interval} 0 checks only after a start.
 */
public record StorageScan(long bytesPerSecond, Duration interval) {
  public static final StorageScan DEFAULT = new StorageScan(64L << 20, Duration.ofDays(7));

  public StorageScan {
    if (bytesPerSecond < 0 || interval.isNegative()) {
      throw new IllegalArgumentException("storage.verifyRate and storage.verifyInterval must not be negative");
    }
  }

  public boolean enabled() {
    return bytesPerSecond > 0;
  }
}
