package dev.registrycache.cache;

import dev.registrycache.oci.Digest;
import dev.registrycache.oci.ErrorCode;
import dev.registrycache.oci.OciError;
import dev.registrycache.store.BlobIndex;
import dev.registrycache.store.BlobWriter;
import dev.registrycache.store.StoredBlob;
import dev.registrycache.upstream.Transfer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;

/**
 * One blob being downloaded from upstream into a growing temp file, which any number of
 * clients read along while it grows. Bytes become {@link #visibleBytes() visible} as they are
 * written, except the last one, which is released only once the whole blob hashed to its
 * digest: a client can never receive a complete body with the wrong content. On success the
 * file is renamed into the store; readers that opened it keep reading the same inode. The
 * monitor is never held across disk I/O, so an event loop opening a reader never waits on a
 * sync or a rename.
 *
 * <p>A blob the store cannot take (no room even after eviction, a read-only disk, a disk that
 * fills up halfway) is <em>relayed</em> instead: the bytes not in the temp file are held in a
 * bounded {@link RelayWindow} until every reader has sent them, upstream pausing while the
 * window is full. It is checked against its digest all the same, and never stored.
 */
public final class InFlightBlob {
  /** Told, from the download's thread, that something changed; must not block. */
  public interface Listener {
    void changed();

    /**
     * This reader of a relayed blob has held all the others back for too long (it stopped
     * reading): it is to end its answer (a truncated body) and let go.
     */
    default void cut() {
    }
  }

  public enum State { CONNECTING, STREAMING, COMPLETE, FAILED }

  private final Digest digest;
  private final String registry;
  private final ReaderSet listeners = new ReaderSet();
  private volatile State state = State.CONNECTING;
  private volatile long size = -1;
  private volatile long written;
  private volatile boolean verified;
  private volatile OciError failure;
  private volatile StoredBlob stored;
  private final DownloadPace pace = new DownloadPace();
  /** Switches a download from a peer over to upstream (once), or null when it does not come from a peer. */
  private volatile Runnable failover;
  /** The level of the tree of owners the peer the bytes come from was asked at. */
  private volatile int peerHop;
  /** Where the bytes came from, for the log: the registry, or a peer (and the registry after it). */
  private volatile String via;
  private volatile BlobWriter writer;
  private Transfer transfer = Transfer.NONE;
  /** Non-null while the blob is relayed rather than stored. */
  private volatile RelayWindow relay;
  private volatile BlobIndex.Reservation reservation;
  /** The temp file's read channel clients share; null when there is none (any more). */
  private volatile SharedReadChannel shared;
  /** Verified and being synced and renamed into the store: no longer cancellable. */
  private boolean committing;
  /** Done when nothing more happens upstream-side: stored, passed through whole, or failed. */
  private final CompletableFuture<Void> settled = new CompletableFuture<>();

  /** The temp file could not take the bytes (the disk is full, or went read-only). */
  static final class StoreWriteFailed extends IOException {
    StoreWriteFailed(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }
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

  /** Completes once the download is stored, passed through whole, or failed. */
  public CompletableFuture<Void> settled() {
    return settled;
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
    return pace.lastProgressNanos();
  }

  /** How long upstream has waited for the clients of a relayed blob (not its fault); 0 when it does not. */
  long pausedNanos(long nowNanos) {
    RelayWindow r = relay;
    return r == null ? 0 : r.pausedNanos(nowNanos);
  }

  /** Cuts the reader that holds a full relay window back (see {@link Listener#cut}). */
  void cutSlowestReader() {
    RelayWindow r = relay;
    Object slowest = r == null ? null : r.slowestReader();
    if (slowest instanceof Listener l) {
      l.cut();
    }
  }

  /**
   * Lets upstream send again after the pause while the download's room was decided, unless it
   * is relayed and the relay's window is already full (its readers resume it then).
   */
  void resumeUpstream() {
    RelayWindow r = relay;
    Transfer t;
    synchronized (this) {
      t = transfer;
    }
    if (r != null) {
      r.resumeUnlessFull();
    } else {
      t.resume();
    }
  }

  /** Passed on without being stored. */
  public boolean relayed() {
    return relay != null;
  }

  /** Bytes below this are read from the temp file; from it on, from {@link #relayedBytes}. */
  public long fileBytes() {
    RelayWindow r = relay;
    return r == null ? Long.MAX_VALUE : r.base();
  }

  /** Up to {@code max} relayed bytes from {@code position}, or null when none are held there. */
  public ByteBuffer relayedBytes(long position, long max) {
    RelayWindow r = relay;
    return r == null ? null : r.read(position, max);
  }

  /** A reader of a relayed blob has sent everything before {@code position}. */
  public void readerAt(Listener l, long position) {
    RelayWindow r = relay;
    if (r != null && r.at(l, position)) {
      pace.progressed(System.nanoTime()); // the pause was the clients', not upstream's
    }
  }

  /**
   * Whether a new client can still read this download from its first byte: not failed, and, if
   * relayed, with every relayed byte still held.
   */
  /** Where the bytes came from, for the log (null: the registry). */
  String via() {
    return via;
  }

  void via(String source) {
    via = source;
  }

  /** Whether the bytes come from a peer (and not from upstream or the disk). */
  public boolean fromPeer() {
    return failover != null;
  }

  /**
   * Whether a request that reached this node at level {@code hop} of the tree of owners may join
   * this download: always for this node's clients and when the bytes come from upstream; when
   * they come from a peer, only if that peer sits higher up the tree than the request came from.
   * Otherwise two nodes that see different lists could wait for each other.
   */
  boolean mayJoin(int hop) {
    return hop == 0 || failover == null || peerHop > hop;
  }

  /**
   * The bytes come from a peer asked at level {@code hop}; {@code toUpstream} switches the rest
   * over to upstream.
   */
  void fromPeer(Runnable toUpstream, int hop) {
    peerHop = hop;
    failover = toUpstream;
  }

  /** The bytes come from upstream (again). */
  void fromUpstream() {
    failover = null;
  }

  /**
   * When the bytes come from a peer that stalled or is too slow: the rest is asked from upstream
   * instead (true), rather than the download given up.
   */
  boolean failOver() {
    Runnable r = failover;
    if (r == null) {
      return false;
    }
    failover = null;
    pace.restart(System.nanoTime(), written); // upstream gets a fresh window and idle timeout
    r.run();
    return true;
  }

  public boolean joinable() {
    RelayWindow r = relay;
    return state != State.FAILED && (r == null || !verified && r.holdsAll());
  }

  /** Room the store reserved for this blob; given back if it ends up not stored. */
  void reserved(BlobIndex.Reservation r) {
    reservation = r;
  }

  BlobIndex.Reservation reservation() {
    return reservation;
  }

  /**
   * Whether the body came slower than {@code minBytes} per {@code windowNanos}: true when the
   * window that started last has passed with fewer bytes than that; a window that passed with
   * enough starts the next one. Called from one thread, periodically; never true before
   * upstream answered or once the whole body is in.
   */
  boolean tooSlow(long nowNanos, long windowNanos, long minBytes) {
    return state == State.STREAMING && !verified
        && pace.tooSlow(nowNanos, written, windowNanos, minBytes, pausedNanos(nowNanos) > 0);
  }

  /**
   * Registers a listener; it is also called once right away (state may have moved meanwhile).
   *
   * @return false when the listener cannot read the blob from its start any more (a relay that
   *     let go of its first bytes): nothing was registered, start a new download
   */
  public boolean addListener(Listener l) {
    synchronized (this) {
      RelayWindow r = relay;
      if (r != null && !r.holdsAll()) {
        return false;
      }
      listeners.add(l);
      if (r != null) {
        r.at(l, 0);
      }
    }
    l.changed();
    return true;
  }

  public void removeListener(Listener l) {
    boolean resumed = false;
    boolean lastOfRelay = false;
    synchronized (this) {
      listeners.remove(l);
      RelayWindow r = relay;
      if (r != null) {
        resumed = r.leave(l);
        lastOfRelay = listeners.isEmpty();
      }
    }
    if (resumed) {
      pace.progressed(System.nanoTime());
    }
    if (lastOfRelay) {
      relayUnread();
    }
  }

  /**
   * The last reader of a relayed blob is gone: the rest is of no use to anyone (it will not be
   * stored), so the transfer stops; the temp file goes.
   */
  private void relayUnread() {
    if (!verified && state == State.STREAMING) {
      cancel(new OciError(ErrorCode.UNAVAILABLE, 503, "nobody reads " + digest + " any more"));
    } else {
      BlobWriter w = writer;
      if (w != null) {
        w.abort();
      }
      releaseReader();
    }
  }

  /**
   * The download's writer and how to stop its transfer, and a read channel on the temp file
   * (null if it could not be opened) that readers share instead of each opening the file.
   */
  void attach(BlobWriter w, Transfer transfer, FileChannel reader) {
    boolean unwanted;
    synchronized (this) {
      this.writer = w;
      this.transfer = transfer;
      unwanted = state == State.FAILED || reader == null;
      if (!unwanted) {
        shared = new SharedReadChannel(reader); // held by the download until it ends
      }
    }
    if (unwanted && reader != null) {
      SharedReadChannel.closeQuietly(reader);
    }
  }

  /**
   * The shared read channel of the file, counted for the caller, who gives it back with
   * {@link #releaseReader}; null when there is none (then {@link #openReader}).
   */
  public FileChannel retainReader() {
    SharedReadChannel s = shared;
    return s == null || state == State.FAILED ? null : s.retain();
  }

  /** Gives back a channel from {@link #retainReader}; the last one out closes it. */
  public void releaseReader() {
    SharedReadChannel s = shared;
    if (s != null) {
      s.release();
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
      pace.restart(System.nanoTime(), 0);
      state = State.STREAMING;
    }
    listeners.tellAll();
    return true;
  }

  /**
   * Bytes arrived (called from the download's thread, in order).
   *
   * @throws StoreWriteFailed when the temp file took only part of them ({@code bytes}' position
   *     says how far it got): {@link #relayRest} may pass on the rest
   */
  void write(ByteBuffer bytes) throws IOException {
    long n = bytes.remaining();
    if (size >= 0 && written + n > size) {
      throw new IOException("upstream sent more than its Content-Length of " + size);
    }
    RelayWindow r = relay;
    if (r == null) {
      try {
        writer.write(bytes);
      } catch (IOException e) {
        progressed(n - bytes.remaining());
        throw new StoreWriteFailed(e);
      }
      BlobIndex.Reservation room = reservation;
      if (room != null) {
        room.progress(written + n);
      }
    } else {
      writer.hashOnly(bytes.duplicate());
      r.append(bytes);
    }
    progressed(n);
  }

  /**
   * From now on the blob is passed on without being stored, {@code rest} (what the temp file did
   * not take, if anything) first. Before upstream's answer or at any point of the body.
   */
  void relayRest(ByteBuffer rest) {
    BlobIndex.Reservation room;
    synchronized (this) {
      if (relay != null) {
        return;
      }
      RelayWindow r = new RelayWindow(written, transfer);
      for (Listener l : listeners.all()) {
        r.at(l, 0);
      }
      relay = r;
      room = reservation;
      reservation = null;
    }
    if (room != null) {
      room.release();
    }
    if (rest != null && rest.hasRemaining()) {
      long n = rest.remaining();
      writer.hashOnly(rest.duplicate());
      relay.append(rest);
      progressed(n);
    }
  }

  /**
   * Before anything was written: the blob is relayed, checked by a writer that only hashes
   * (the store took no temp file).
   */
  void relayFromStart(BlobWriter hashOnly) {
    BlobWriter old;
    synchronized (this) {
      old = writer;
      writer = hashOnly;
    }
    if (old != null && old != hashOnly) {
      old.abort(); // its temp file is not needed: nothing is read from a file
      releaseReader();
    }
    relayRest(null);
  }

  private void progressed(long n) {
    if (n == 0) {
      return;
    }
    long before = written;
    written += n;
    long now = System.nanoTime();
    pace.progressed(now);
    listeners.written(before, written, now);
  }

  /** Tells readers about bytes written since the last notification (for a trickling upstream). */
  void publish() {
    if (state == State.STREAMING) {
      listeners.publish(written);
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
    listeners.tellAll(); // the last byte goes out now, before the slow sync
    if (relay != null) {
      settled.complete(null); // its clients take the rest from memory; nothing is stored
      if (listeners.isEmpty()) {
        relayUnread();
      }
    }
    return true;
  }

  /**
   * Syncs the verified file and renames it into the store (slow: never on an event loop).
   *
   * @param register adds the stored blob to the index before the download is complete, so that
   *     no request finds it neither in flight nor stored (and fetches it a second time)
   * @return the stored blob, or null when the download was given up meanwhile
   * @throws IOException when the file could not be stored (the download has failed then)
   */
  StoredBlob commit(java.util.function.Consumer<StoredBlob> register) throws IOException {
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
    register.accept(s);
    synchronized (this) {
      stored = s;
      state = State.COMPLETE;
    }
    releaseReader(); // the download's reference; readers keep theirs
    listeners.tellAll();
    settled.complete(null);
    return s;
  }

  /** Fails the download, unless it is complete or already being committed (then it stands). */
  void fail(OciError error) {
    fail(error, false);
  }

  private void fail(OciError error, boolean whileCommitting) {
    BlobIndex.Reservation room;
    synchronized (this) {
      if (state == State.COMPLETE || state == State.FAILED || committing && !whileCommitting) {
        return;
      }
      failure = error;
      state = State.FAILED;
      room = reservation;
      reservation = null;
    }
    if (room != null) {
      room.release();
    }
    BlobWriter w = writer;
    if (w != null) {
      w.abort(); // deletes the temp file: outside the monitor, like every disk access
    }
    releaseReader(); // the download's reference; readers let go when they hear of the failure
    listeners.tellAll();
    settled.complete(null);
  }

  /** Stops the upstream transfer (stall, shutdown); the download fails with {@code error}. */
  public void cancel(OciError error) {
    Transfer t;
    synchronized (this) {
      t = transfer;
    }
    t.cancel();
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
    if (s != State.STREAMING || writer.tempPath() == null) {
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
