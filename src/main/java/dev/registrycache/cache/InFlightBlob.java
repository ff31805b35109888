package dev.registrycache.cache;

import dev.registrycache.oci.Digest;
import dev.registrycache.oci.ErrorCode;
import dev.registrycache.oci.OciError;
import dev.registrycache.store.BlobWriter;
import dev.registrycache.store.StoredBlob;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One blob being downloaded from upstream into a growing temp file, which any number of
 * clients read along while it grows. Bytes become {@link #visibleBytes() visible} as they are
 * written, except the last one, which is released only once the whole blob hashed to its
 * digest: a client can never receive a complete body with the wrong content. On success the
 * file is renamed into the store; readers that opened it keep reading the same inode. The
 * monitor is never held across disk I/O, so an event loop opening a reader never waits on a
 * sync or a rename.
 */
public final class InFlightBlob {
  /** Told, from the download's thread, that something changed; must not block. */
  public interface Listener {
    void changed();
  }

  public enum State { CONNECTING, STREAMING, COMPLETE, FAILED }

  private final Digest digest;
  private final String registry;
  private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
  private volatile State state = State.CONNECTING;
  private volatile long size = -1;
  private volatile long written;
  private volatile boolean verified;
  private volatile OciError failure;
  private volatile StoredBlob stored;
  private volatile long lastProgressNanos = System.nanoTime();
  /** Where the current window of the speed check started: when, and at how many bytes. */
  private volatile long speedWindowNanos;
  private volatile long speedWindowBytes;
  /** Readers are notified after this many new bytes ... */
  static final long NOTIFY_BYTES = 512 * 1024;
  /** ... or after this long, whichever comes first. */
  static final long NOTIFY_NANOS = 5_000_000;
  private long notifiedAt;
  private long notifiedNanos;
  private volatile BlobWriter writer;
  private Runnable canceller = () -> { };
  private FileChannel sharedReader;
  private int readerRefs;
  /** Verified and being synced and renamed into the store: no longer cancellable. */
  private boolean committing;

  public InFlightBlob(Digest digest, String registry) {
    this.digest = digest;
    this.registry = registry;
  }

  public Digest digest() {
    return digest;
  }

  public String registry() {
    return registry;
  }

  public State state() {
    return state;
  }

  /** The blob's length, known once upstream answered; -1 before, or when upstream gave none. */
  public long size() {
    return size;
  }

  public OciError failure() {
    return failure;
  }

  public StoredBlob stored() {
    return stored;
  }

  /** How many bytes readers may send. */
  public long visibleBytes() {
    long w = written;
    return verified || size < 0 || w < size ? w : size - 1;
  }

  /** The whole body arrived and matched the digest: only the sync and rename are left. */
  public boolean receivedAll() {
    return verified;
  }

  public long lastProgressNanos() {
    return lastProgressNanos;
  }

  /**
   * Whether the body came slower than {@code minBytes} per {@code windowNanos}: true when the
   * window that started last has passed with fewer bytes than that; a window that passed with
   * enough starts the next one. Called from one thread, periodically; never true before
   * upstream answered or once the whole body is in.
   */
  boolean tooSlow(long nowNanos, long windowNanos, long minBytes) {
    if (state != State.STREAMING || verified || nowNanos - speedWindowNanos < windowNanos) {
      return false;
    }
    long w = written;
    long got = w - speedWindowBytes;
    speedWindowNanos = nowNanos;
    speedWindowBytes = w;
    return got < minBytes;
  }

  /** Registers a listener; it is also called once right away (state may have moved meanwhile). */
  public void addListener(Listener l) {
    listeners.add(l);
    l.changed();
  }

  public void removeListener(Listener l) {
    listeners.remove(l);
  }

  private void notifyListeners() {
    for (Listener l : listeners) {
      l.changed();
    }
  }

  /**
   * The download's writer and how to stop its transfer, and a read channel on the temp file
   * (null if it could not be opened) that readers share instead of each opening the file.
   */
  void attach(BlobWriter w, Runnable cancel, FileChannel reader) {
    boolean unwanted;
    synchronized (this) {
      this.writer = w;
      this.canceller = cancel;
      unwanted = state == State.FAILED || reader == null;
      if (!unwanted) {
        sharedReader = reader;
        readerRefs = 1; // the download's own, dropped when it ends
      }
    }
    if (unwanted && reader != null) {
      closeQuietly(reader);
    }
  }

  /**
   * The shared read channel of the file, counted for the caller, who gives it back with
   * {@link #releaseReader}; null when there is none (then {@link #openReader}). Reading
   * goes by explicit positions only ({@code sendfile}), so readers never disturb each other.
   */
  public synchronized FileChannel retainReader() {
    if (sharedReader == null || readerRefs == 0 || state == State.FAILED) {
      return null;
    }
    readerRefs++;
    return sharedReader;
  }

  /** Gives back a channel from {@link #retainReader}; the last one out closes it. */
  public void releaseReader() {
    FileChannel close = null;
    synchronized (this) {
      if (readerRefs > 0 && --readerRefs == 0) {
        close = sharedReader;
        sharedReader = null;
      }
    }
    if (close != null) {
      closeQuietly(close);
    }
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // a read-only channel: nothing is lost
    }
  }

  /**
   * Upstream answered; {@code contentLength} may be -1.
   *
   * @return false when the download was given up meanwhile (its answer is then not wanted)
   */
  boolean started(long contentLength) {
    synchronized (this) {
      if (state != State.CONNECTING) {
        return false;
      }
      size = contentLength;
      lastProgressNanos = System.nanoTime();
      speedWindowNanos = lastProgressNanos;
      state = State.STREAMING;
    }
    notifyListeners();
    return true;
  }

  /** Bytes arrived (called from the download's thread, in order). */
  void write(ByteBuffer bytes) throws IOException {
    long n = bytes.remaining();
    if (size >= 0 && written + n > size) {
      throw new IOException("upstream sent more than its Content-Length of " + size);
    }
    writer.write(bytes);
    long before = written;
    written += n;
    long now = System.nanoTime();
    lastProgressNanos = now;
    // Readers are told in batches, not per network buffer: enough to keep their sendfile calls
    // large (and the CPU free for the download) while the first bytes and slow trickles still go
    // out within a few milliseconds.
    if (before == 0 || written - notifiedAt >= NOTIFY_BYTES || now - notifiedNanos >= NOTIFY_NANOS) {
      notifiedAt = written;
      notifiedNanos = now;
      notifyListeners();
    }
  }

  /** Tells readers about bytes written since the last notification (for a trickling upstream). */
  void publish() {
    if (state == State.STREAMING && written > notifiedAt) {
      notifiedAt = written;
      notifiedNanos = System.nanoTime();
      notifyListeners();
    }
  }

  /**
   * Upstream finished the body: checks its length and digest and, when both are right, lets
   * readers have the last byte. Cheap; {@link #commit} does the slow part.
   *
   * @return false when the download failed (it is then marked so)
   */
  boolean verify() {
    long w = written;
    if (size >= 0 && w != size) {
      fail(new OciError(ErrorCode.UNAVAILABLE, 502,
          "upstream " + registry + " ended " + digest + " after " + w + " of " + size + " bytes"));
      return false;
    }
    if (!writer.digestMatches()) {
      fail(new OciError(ErrorCode.DIGEST_INVALID, 502,
          "upstream " + registry + " sent content that does not match " + digest));
      return false;
    }
    if (size < 0) {
      size = w;
    }
    verified = true;
    notifyListeners(); // the last byte goes out now, before the slow sync
    return true;
  }

  /**
   * Syncs the verified file and renames it into the store (slow: never on an event loop).
   *
   * @return the stored blob, or null when the download was given up meanwhile
   * @throws IOException when the file could not be stored (the download has failed then)
   */
  StoredBlob commit() throws IOException {
    synchronized (this) {
      if (state != State.STREAMING || !verified) {
        return null; // cancelled meanwhile
      }
      committing = true;
    }
    // sync and rename outside the monitor: readers (on event loops) take it to open the file
    StoredBlob s;
    try {
      s = writer.commit(); // verifies again, syncs, renames
    } catch (IOException e) {
      fail(new OciError(ErrorCode.UNAVAILABLE, 500, "storing " + digest + " failed: " + e.getMessage()), true);
      throw e;
    }
    synchronized (this) {
      stored = s;
      state = State.COMPLETE;
    }
    releaseReader(); // the download's reference; readers keep theirs
    notifyListeners();
    return s;
  }

  /** Fails the download, unless it is complete or already being committed (then it stands). */
  void fail(OciError error) {
    fail(error, false);
  }

  private void fail(OciError error, boolean whileCommitting) {
    synchronized (this) {
      if (state == State.COMPLETE || state == State.FAILED || committing && !whileCommitting) {
        return;
      }
      failure = error;
      state = State.FAILED;
    }
    BlobWriter w = writer;
    if (w != null) {
      w.abort(); // deletes the temp file: outside the monitor, like every disk access
    }
    releaseReader(); // the download's reference; readers let go when they hear of the failure
    notifyListeners();
  }

  /** Stops the upstream transfer (stall, shutdown); the download fails with {@code error}. */
  public void cancel(OciError error) {
    Runnable c;
    synchronized (this) {
      c = canceller;
    }
    c.run();
    fail(error);
  }

  /**
   * Opens the growing file (or, if it completed meanwhile, the stored one) for reading.
   *
   * @return null when the download failed
   */
  public FileChannel openReader() throws IOException {
    State s = state;
    if (s == State.COMPLETE) {
      return FileChannel.open(stored.path(), StandardOpenOption.READ);
    }
    if (s != State.STREAMING) {
      return null;
    }
    try {
      return FileChannel.open(writer.tempPath(), StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      // renamed into the store (or deleted) meanwhile: the listeners hear which one next
      return state == State.COMPLETE ? FileChannel.open(stored.path(), StandardOpenOption.READ) : null;
    }
  }
}
