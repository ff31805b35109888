package dev.registrycache.server;

import dev.registrycache.oci.Digest;
import dev.registrycache.store.CorruptBlobException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Small blobs and manifests kept in direct memory, so that answering one is a single
 * {@code writev} of headers and body with no file to open (the per-request cost that matters
 * for configs, small layers and manifests). Bounded by total bytes; when full, arbitrary entries
 * make room (hot ones come straight back). Content is immutable (addressed by digest), so an
 * entry can never be stale.
 */
final class HotContent {
  /** Bodies up to this size are kept; larger ones are sent with sendfile from disk. */
  static final int MAX_ENTRY_BYTES = 64 * 1024;

  private final long budget;
  private final ConcurrentHashMap<Digest, ByteBuf> entries = new ConcurrentHashMap<>();
  private final AtomicLong used = new AtomicLong();

  HotContent(long budgetBytes) {
    this.budget = budgetBytes;
  }

  /** A duplicate to send (release by writing it), or null when not held. */
  ByteBuf get(Digest d) {
    ByteBuf b = entries.get(d);
    if (b == null) {
      return null;
    }
    try {
      return b.retainedDuplicate();
    } catch (io.netty.util.IllegalReferenceCountException racedWithEviction) {
      return null;
    }
  }

  /**
   * Reads a small file into memory, checks it against its digest (it is small: hashing it costs
   * less than opening it) and keeps it; returns a duplicate to send.
   *
   * @throws CorruptBlobException when the file is not the blob (it is not kept then)
   */
  ByteBuf load(Digest d, Path file, long size) throws IOException {
    ByteBuf b = Unpooled.directBuffer((int) size);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      while (b.writerIndex() < size) {
        if (b.writeBytes(ch, b.writerIndex(), (int) size - b.writerIndex()) < 0) {
          throw new CorruptBlobException("size", "shorter than its " + size + " bytes");
        }
      }
      if (ch.size() != size) {
        throw new CorruptBlobException("size", ch.size() + " bytes long, stored as " + size);
      }
      MessageDigest md = d.newMessageDigest();
      md.update(b.nioBuffer());
      if (!d.matches(md)) {
        throw new CorruptBlobException("digest", "its content does not hash to its digest");
      }
    } catch (IOException | RuntimeException e) {
      b.release();
      throw e;
    }
    return keep(d, b);
  }

  /** Keeps {@code bytes} (copied); returns a duplicate to send. */
  ByteBuf put(Digest d, byte[] bytes) {
    ByteBuf b = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
    return keep(d, b);
  }

  private ByteBuf keep(Digest d, ByteBuf b) {
    ByteBuf send = b.retainedDuplicate();
    ByteBuf old = entries.putIfAbsent(d, b);
    if (old != null) {
      b.release(); // someone else loaded it meanwhile; ours is only sent
      return send;
    }
    if (used.addAndGet(b.readableBytes()) > budget) {
      makeRoom(d);
    }
    return send;
  }

  private void makeRoom(Digest keep) {
    Iterator<java.util.Map.Entry<Digest, ByteBuf>> it = entries.entrySet().iterator();
    while (used.get() > budget && it.hasNext()) {
      java.util.Map.Entry<Digest, ByteBuf> e = it.next();
      if (e.getKey().equals(keep)) {
        continue;
      }
      if (entries.remove(e.getKey(), e.getValue())) {
        used.addAndGet(-e.getValue().readableBytes());
        e.getValue().release();
      }
    }
  }

  long usedBytes() {
    return used.get();
  }
}
