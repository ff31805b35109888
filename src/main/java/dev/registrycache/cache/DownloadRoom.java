package dev.registrycache.cache;

import dev.registrycache.store.BlobIndex;
import dev.registrycache.store.BlobStore;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where a download's bytes can go. Into the store when room can be made for them: with the
 * size upstream announced, least recently used blobs are evicted first, and the room is
 * reserved so that concurrent downloads cannot overshoot the limits together. Otherwise only to
 * the clients (a relay), of which a bounded number run at once, each holding a bounded window
 * of memory.
 */
final class DownloadRoom {
  /** Blobs relayed from upstream at once (each holds up to {@link RelayWindow#MAX_BYTES}). */
  static final int MAX_RELAYS = 16;

  private final BlobIndex index;
  private final BlobStore store;
  private final long maxBytes;
  private final long minFreeBytes;
  private final AtomicInteger relays = new AtomicInteger();

  DownloadRoom(BlobIndex index, BlobStore store, long maxBytes, long minFreeBytes) {
    this.index = index;
    this.store = store;
    this.maxBytes = maxBytes;
    this.minFreeBytes = minFreeBytes;
  }

  /**
   * Reserves room for {@code size} bytes, evicting what it must (blocking: off the event loops).
   *
   * @return the reservation, or null when the blob cannot be stored ({@link #whyNot} says why)
   */
  BlobIndex.Reservation reserve(long size) {
    return index.reserve(size, maxBytes, this::usableBytes, minFreeBytes);
  }

  /** The reason a blob of {@code size} could not be given room, for the metric. */
  String whyNot(long size) {
    return size > maxBytes ? "too-large" : "no-room";
  }

  private long usableBytes() {
    try {
      return store.diskUsage().usableBytes();
    } catch (IOException e) {
      return Long.MAX_VALUE; // cannot tell: writing will show
    }
  }

  /** Takes one of the relay slots; false when all are taken. */
  boolean startRelay() {
    if (relays.incrementAndGet() > MAX_RELAYS) {
      relays.decrementAndGet();
      return false;
    }
    return true;
  }

  void endRelay() {
    relays.decrementAndGet();
  }
}
