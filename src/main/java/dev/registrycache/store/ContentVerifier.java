package dev.registrycache.store;

import dev.registrycache.oci.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure what is served from disk is what the index says it is. Every time a stored file is
 * sent, one {@code stat} ({@link #check}) compares its length and stamp with the index: a file of
 * another length is dropped at once; one written to or replaced since is hashed again before it
 * is served. Blobs found on disk at start-up are not trusted until hashed: in the background,
 * most recently used first, at a bounded rate ({@link #scan}), or, when one is asked for
 * earlier, before it is sent ({@link #verify}). A blob whose content does not hash to its digest
 * is dropped (deleted and forgotten), so that the next request fetches it again.
 */
public final class ContentVerifier {
  private static final Logger LOG = LoggerFactory.getLogger(ContentVerifier.class);
  private static final int CHUNK = 1 << 20;

  /** What one look at a stored file found. */
  public enum Finding {
    /** As stored. */
    OK,
    /** Written to or replaced, same length: to be hashed again before it is served. */
    CHANGED,
    /** Not there any more. */
    GONE,
    /** Of another length than stored: it must be dropped. */
    WRONG_SIZE
  }

  private final BlobIndex index;
  private final Executor hashing;
  private final ConcurrentHashMap<Digest, CompletableFuture<Boolean>> running =
      new ConcurrentHashMap<>();
  private final AtomicLong hashedBytes = new AtomicLong();

  /** @param hashing runs the hashing of blobs clients wait for (never an event loop) */
  public ContentVerifier(BlobIndex index, Executor hashing) {
    this.index = index;
    this.hashing = hashing;
  }

  /** Bytes hashed by checks of stored blobs so far (a counter). */
  public long hashedBytes() {
    return hashedBytes.get();
  }

  /**
   * One {@code stat} of the file: its length against the index, and whether it was written to or
   * replaced since its content was last known good (the entry is then no longer verified).
   * Metadata only, no content is read.
   */
  public Finding check(BlobIndex.Entry e) {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(e.blob().path(), BasicFileAttributes.class);
    } catch (NoSuchFileException gone) {
      return Finding.GONE;
    } catch (IOException unreadable) {
      e.changed(e.stamp()); // hashing will tell
      return Finding.CHANGED;
    }
    FileStamp now = FileStamp.of(a);
    if (now.size() != e.size()) {
      return Finding.WRONG_SIZE;
    }
    FileStamp known = e.stamp();
    if (known != null && known.sameSizeButChanged(now)) {
      e.changed(now);
      return Finding.CHANGED;
    }
    return Finding.OK;
  }

  /**
   * Hashes the blob unless it is verified, for a client waiting for it: requests for the same
   * blob share one hashing. Completes with true when it may be served, false when it was corrupt
   * (it has been dropped then) or is gone.
   */
  public CompletableFuture<Boolean> verify(BlobIndex.Entry e) {
    if (e.verified()) {
      return CompletableFuture.completedFuture(true);
    }
    Digest d = e.blob().digest();
    CompletableFuture<Boolean> mine = new CompletableFuture<>();
    CompletableFuture<Boolean> other = running.putIfAbsent(d, mine);
    if (other != null) {
      return other;
    }
    try {
      hashing.execute(() -> {
        try {
          mine.complete(hash(e, null));
        } catch (RuntimeException ex) {
          mine.completeExceptionally(ex);
        } finally {
          running.remove(d, mine);
        }
      });
    } catch (RuntimeException rejected) { // busy or shutting down: the caller says so
      running.remove(d, mine);
      mine.completeExceptionally(rejected);
      throw rejected;
    }
    return mine;
  }

  /** Drops a blob {@link #check} found of the wrong length (off the event loops: it deletes files). */
  public void dropWrongSize(BlobIndex.Entry e) {
    drop(e, "size", "no longer " + e.size() + " bytes long");
  }

  /** Drops a blob found corrupt while it was read (off the event loops: it deletes files). */
  public void drop(BlobIndex.Entry e, CorruptBlobException c) {
    drop(e, c.reason(), c.getMessage());
  }

  /**
   * Hashes the blobs not verified yet ({@code all}: every blob), most recently used first,
   * reading at most {@code bytesPerSecond}, until done or {@code stop} says so. Blocking: run it
   * on a thread of its own.
   *
   * @return how many blobs were found corrupt and dropped
   */
  public int scan(boolean all, long bytesPerSecond, BooleanSupplier stop) {
    Pace pace = new Pace(bytesPerSecond);
    int dropped = 0;
    int hashed = 0;
    for (BlobIndex.Entry e : index.byRecentUse()) {
      if (stop.getAsBoolean()) {
        break;
      }
      if (!all && e.verified() || index.peek(e.blob().digest()) != e) {
        continue;
      }
      if (!hash(e, pace) && index.peek(e.blob().digest()) != e) {
        dropped++;
      }
      hashed++;
    }
    if (hashed > 0) {
      LOG.info("checked {} stored blob(s) against their digests: {} corrupt, dropped", hashed, dropped);
    }
    return dropped;
  }

  /** Hashes the file; true when it matched (the entry is verified then), else it is dropped. */
  private boolean hash(BlobIndex.Entry e, Pace pace) {
    StoredBlob b = e.blob();
    for (int attempt = 0; attempt < 2; attempt++) {
      FileStamp before;
      long read = 0;
      MessageDigest md = b.digest().newMessageDigest();
      try (FileChannel ch = FileChannel.open(b.path(), StandardOpenOption.READ)) {
        before = FileStamp.of(Files.readAttributes(b.path(), BasicFileAttributes.class));
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
        for (int n = ch.read(buf); n >= 0; n = ch.read(buf)) {
          buf.flip();
          md.update(buf);
          buf.clear();
          read += n;
          if (pace != null && !pace.took(n)) {
            return e.verified(); // stopping: neither verified nor dropped
          }
        }
      } catch (NoSuchFileException gone) {
        index.forget(b.digest());
        return false;
      } catch (IOException unreadable) {
        drop(e, "unreadable", unreadable.toString());
        return false;
      } finally {
        hashedBytes.addAndGet(read);
      }
      if (read != e.size()) {
        drop(e, "size", "stored " + e.size() + " bytes long, found " + read);
        return false;
      }
      if (!b.digest().matches(md)) {
        drop(e, "digest", "its content does not hash to its digest");
        return false;
      }
      try {
        FileStamp after = FileStamp.of(Files.readAttributes(b.path(), BasicFileAttributes.class));
        if (after.equals(before)) {
          e.verified(after);
          return true;
        }
      } catch (IOException gone) {
        return false;
      }
      // written to while being hashed: once more
    }
    return false;
  }

  private void drop(BlobIndex.Entry e, String reason, String why) {
    if (index.dropCorrupt(e, reason)) {
      LOG.warn("stored blob {} is corrupt ({}): dropped; it is fetched again when asked for", e.blob().digest(), why);
    }
  }

  /** Keeps a scan's reading at or below a rate. */
  private static final class Pace {
    private final long bytesPerSecond;
    private final long start = System.nanoTime();
    private long bytes;

    Pace(long bytesPerSecond) {
      this.bytesPerSecond = bytesPerSecond;
    }

    /** Counts {@code n} bytes read and waits as long as the rate asks; false when interrupted. */
    boolean took(long n) {
      bytes += n;
      if (bytesPerSecond <= 0) {
        return !Thread.currentThread().isInterrupted();
      }
      long due = start + (long) (bytes * 1e9 / bytesPerSecond);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        try {
          TimeUnit.NANOSECONDS.sleep(wait);
        } catch (InterruptedException stop) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }
}
