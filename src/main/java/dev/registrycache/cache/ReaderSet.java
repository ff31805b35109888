package dev.registrycache.cache;

import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The clients reading along one download, told when something changed. New bytes are told in
 * batches, not per network buffer: enough to keep their sendfile calls large (and the CPU free
 * for the download) while the first bytes and slow trickles still go out within a few
 * milliseconds.
 */
final class ReaderSet {
  /** Readers are told after this many new bytes ... */
  static final long NOTIFY_BYTES = 512 * 1024;
  /** ... or after this long, whichever comes first. */
  static final long NOTIFY_NANOS = 5_000_000;

  private final CopyOnWriteArrayList<InFlightBlob.Listener> listeners = new CopyOnWriteArrayList<>();
  /** The download's thread only. */
  private long toldAt;
  private long toldNanos;

  void add(InFlightBlob.Listener l) {
    listeners.add(l);
  }

  void remove(InFlightBlob.Listener l) {
    listeners.remove(l);
  }

  boolean isEmpty() {
    return listeners.isEmpty();
  }

  Iterable<InFlightBlob.Listener> all() {
    return listeners;
  }

  void tellAll() {
    for (InFlightBlob.Listener l : listeners) {
      l.changed();
    }
  }

  /** The download has {@code total} bytes now (it had {@code before}): readers are told if a batch is due. */
  void written(long before, long total, long nowNanos) {
    if (before == 0 || total - toldAt >= NOTIFY_BYTES || nowNanos - toldNanos >= NOTIFY_NANOS) {
      toldAt = total;
      toldNanos = nowNanos;
      tellAll();
    }
  }

  /** Tells readers about bytes written since the last batch (for a trickling upstream). */
  void publish(long total) {
    if (total > toldAt) {
      toldAt = total;
      toldNanos = System.nanoTime();
      tellAll();
    }
  }
}
