package dev.registrycache.cache;

import dev.registrycache.upstream.Transfer;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * The bytes of a blob passed from upstream to its clients without being stored: held in memory
 * from the slowest reader's position to the newest byte, at most about {@link #MAX_BYTES}.
 * Upstream is paused when the window is full and resumed once the slowest reader has taken
 * half of it, so a relay holds a bounded amount of memory whatever its clients' speeds. Both are
 * asked for under the window's lock, and the transfer applies whichever came last. Bytes
 * before {@code base} are in the download's temp file (written before the disk filled up); a
 * reader still there counts as being at {@code base}.
 */
final class RelayWindow {
  /** The most bytes held for one blob (plus one network buffer). */
  static final long MAX_BYTES = 1 << 20;

  private record Chunk(long offset, ByteBuffer bytes) {
    long end() {
      return offset + bytes.remaining();
    }
  }

  private final long base;
  private final Transfer upstream;
  private final ArrayDeque<Chunk> chunks = new ArrayDeque<>();
  private final Map<Object, Long> readers = new HashMap<>();
  private long start;
  private long end;
  private boolean full;
  /** Since when upstream is paused because the window is full; null while it is not. */
  private volatile Long pausedSince;

  /** A window whose first byte is the blob's byte {@code base}, fed by {@code upstream}. */
  RelayWindow(long base, Transfer upstream) {
    this.base = base;
    this.upstream = upstream;
    this.start = base;
    this.end = base;
  }

  /** The blob's first byte held here; those before are in the temp file. */
  long base() {
    return base;
  }

  /** Appends a copy of the next bytes of the blob; pauses upstream when that fills the window. */
  void append(ByteBuffer bytes) {
    synchronized (this) {
      int n = bytes.remaining();
      if (n == 0) {
        return;
      }
      ByteBuffer copy = ByteBuffer.allocate(n);
      copy.put(bytes).flip();
      chunks.addLast(new Chunk(end, copy));
      end += n;
      trim();
      if (full || end - slowest() < MAX_BYTES) {
        return;
      }
      full = true;
      pausedSince = System.nanoTime();
      upstream.pause(); // under the lock: a reader's resume cannot come before it
    }
  }

  /** How long upstream has waited for the readers; 0 while it does not. */
  long pausedNanos(long nowNanos) {
    Long since = pausedSince;
    return since == null ? 0 : nowNanos - since;
  }

  /** Up to {@code max} bytes from {@code position} on (a read-only view), or null when none are held there. */
  synchronized ByteBuffer read(long position, long max) {
    for (Chunk c : chunks) {
      if (position >= c.offset() && position < c.end()) {
        int from = (int) (position - c.offset());
        int len = (int) Math.min(c.end() - position, max);
        return c.bytes().duplicate().position(from).limit(from + len).slice().asReadOnlyBuffer();
      }
    }
    return null;
  }

  /** A reader is at {@code position} now; true when that resumed upstream. */
  synchronized boolean at(Object reader, long position) {
    readers.put(reader, position);
    trim();
    return roomAgain();
  }

  /** A reader is done (or gone); true when that resumed upstream. */
  synchronized boolean leave(Object reader) {
    readers.remove(reader);
    trim();
    return roomAgain();
  }

  /** Lets upstream send again unless the window is full (its readers resume it then). */
  synchronized void resumeUnlessFull() {
    if (!full) {
      upstream.resume();
    }
  }

  synchronized int readers() {
    return readers.size();
  }

  /** Every relayed byte is still held: a reader may still start at the beginning. */
  synchronized boolean holdsAll() {
    return start == base;
  }

  /** The reader furthest behind, or null when there is none. */
  synchronized Object slowestReader() {
    Object slowest = null;
    long at = Long.MAX_VALUE;
    for (Map.Entry<Object, Long> e : readers.entrySet()) {
      if (e.getValue() < at) {
        at = e.getValue();
        slowest = e.getKey();
      }
    }
    return slowest;
  }

  private long slowest() {
    long min = end;
    for (long p : readers.values()) {
      min = Math.min(min, Math.max(p, base));
    }
    return min;
  }

  private void trim() {
    long slowest = slowest();
    while (!chunks.isEmpty() && chunks.peekFirst().end() <= slowest) {
      start = chunks.removeFirst().end();
    }
  }

  /** Resumes upstream (under the lock, so a pause cannot overtake it) once half the window is free. */
  private boolean roomAgain() {
    if (full && end - slowest() <= MAX_BYTES / 2) {
      full = false;
      pausedSince = null;
      upstream.resume();
      return true;
    }
    return false;
  }
}
