package dev.registrycache.cache;

import dev.registrycache.metrics.CacheMetrics;
import dev.registrycache.oci.ErrorCode;
import dev.registrycache.oci.OciError;
import dev.registrycache.store.BlobIndex;
import dev.registrycache.store.BlobWriter;
import dev.registrycache.store.StorageHealth;
import dev.registrycache.store.StoredBlob;
import dev.registrycache.upstream.BodySink;
import dev.registrycache.upstream.Transfer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One blob's way from upstream: once upstream announced its length, room is made for it in the
 * store (upstream paused meanwhile, off the event loop), or, when there is none or the disk
 * takes no writes, it is relayed to its clients without being stored; only then do the clients
 * get their headers. The body is then written into the temp file straight from the network
 * buffers, on the event loop of the upstream connection; should the disk fill up halfway, the
 * rest is relayed. The sync and rename into the store run on the background executor.
 */
final class BlobDownload implements BodySink, Transfer {
  private static final Logger LOG = LoggerFactory.getLogger(BlobDownload.class);
  /** Bytes that may arrive between pausing upstream and deciding where they go (one read's worth). */
  private static final long MAX_EARLY_BYTES = 4 << 20;

  /** What a download needs from the service that runs it. */
  record Context(BlobIndex index, DownloadRoom room, StorageHealth health, CacheMetrics metrics,
      Executor background, Runnable afterStore) {}

  private final InFlightBlob blob;
  private final String registry;
  private final Context cx;
  /** Why the blob is relayed (a metric reason), or null while it is stored. */
  private volatile String relayed;
  private volatile Transfer transfer;
  private volatile long length = -1;
  /** Until the room is decided, what upstream already sent is kept here. */
  private boolean decided;
  private List<ByteBuffer> early = new ArrayList<>();
  private long earlyBytes;
  private boolean completedEarly;

  /** @param unstorable why no temp file could be made (the blob is relayed then), or null */
  BlobDownload(InFlightBlob blob, String registry, Context cx, String unstorable) {
    this.blob = blob;
    this.registry = registry;
    this.cx = cx;
    this.relayed = unstorable;
  }

  /** Upstream answered 2xx with this {@code Content-Length} (-1: none). */
  BodySink answered(long contentLength) {
    length = contentLength;
    return this;
  }

  /** Why the blob was relayed, or null when it was (to be) stored. */
  String relayed() {
    return relayed;
  }

  @Override
  public void cancel() {
    Transfer t = transfer;
    if (t != null) {
      t.cancel();
    }
  }

  @Override
  public void pause() {
    Transfer t = transfer;
    if (t != null) {
      t.pause();
    }
  }

  @Override
  public void resume() {
    Transfer t = transfer;
    if (t != null) {
      t.resume();
    }
  }

  @Override
  public void onStart(Transfer t) {
    this.transfer = t;
    if (blob.state() != InFlightBlob.State.CONNECTING) {
      t.cancel(); // given up before upstream answered: the body is not wanted
      return;
    }
    t.pause(); // until it is known where the bytes go
    try {
      cx.background().execute(this::decide);
    } catch (RuntimeException rejected) { // shutting down
      blob.cancel(new OciError(ErrorCode.UNAVAILABLE, 503, "shutting down"));
    }
  }

  /** Room in the store, or a relay; then the clients get their headers and upstream goes on. */
  private void decide() {
    BlobIndex.Reservation room = null;
    if (relayed == null && length >= 0) {
      room = cx.room().reserve(length);
      if (room != null) {
        blob.reserved(room);
      } else {
        relayed = cx.room().whyNot(length);
      }
    }
    if (relayed != null && !startRelay(null)) {
      return;
    }
    if (!blob.started(length)) {
      if (room != null) {
        room.release(); // given up meanwhile
      }
      cancel();
      return;
    }
    boolean complete;
    synchronized (this) {
      for (ByteBuffer b : early) {
        if (!take(b)) {
          return;
        }
      }
      early = null;
      decided = true;
      complete = completedEarly;
    }
    if (complete) {
      onComplete();
    } else {
      blob.resumeUpstream();
    }
  }

  /**
   * Relays the blob from now on, {@code rest} first, if a relay slot is free.
   *
   * @return false when none is (the download has failed then)
   */
  private boolean startRelay(ByteBuffer rest) {
    if (!cx.room().startRelay()) {
      blob.cancel(new OciError(ErrorCode.UNAVAILABLE, 503, "the cache cannot store " + blob.digest()
          + " (" + relayed + ") and passes " + DownloadRoom.MAX_RELAYS + " other blobs through already;"
          + " fetch it from upstream"));
      return false;
    }
    cx.metrics().servedUnstored("blob", relayed);
    LOG.info("passing {} ({} bytes) from {} through to its clients without storing it: {}", blob.digest(),
        length, registry, relayed);
    if (rest == null && !blob.relayed()) {
      blob.relayFromStart(BlobWriter.unstored(blob.digest()));
    } else {
      blob.relayRest(rest);
    }
    return true;
  }

  @Override
  public void onData(ByteBuffer bytes) throws IOException {
    synchronized (this) {
      if (!decided) {
        earlyBytes += bytes.remaining();
        if (earlyBytes > MAX_EARLY_BYTES) {
          throw new IOException("upstream sent " + earlyBytes + " bytes of " + blob.digest() + " while paused");
        }
        ByteBuffer copy = ByteBuffer.allocate(bytes.remaining());
        early.add(copy.put(bytes).flip());
        return;
      }
    }
    if (blob.state() != InFlightBlob.State.STREAMING) {
      throw new IOException("download of " + blob.digest() + " given up");
    }
    if (!take(bytes)) {
      throw new IOException("download of " + blob.digest() + " failed");
    }
  }

  /** Writes (or relays) the next bytes; false when the download failed. */
  private boolean take(ByteBuffer bytes) {
    int n = bytes.remaining();
    try {
      blob.write(bytes);
    } catch (InFlightBlob.StoreWriteFailed e) {
      StorageHealth.Problem p = cx.health().failed("writing " + blob.digest(), (IOException) e.getCause());
      relayed = p.label();
      if (!startRelay(bytes)) {
        return false;
      }
    } catch (IOException e) {
      blob.fail(new OciError(ErrorCode.UNAVAILABLE, 502, "download of " + blob.digest() + " failed: "
          + e.getMessage()));
      return false;
    }
    cx.metrics().bytesFetched(registry, n);
    return true;
  }

  @Override
  public void onError(Throwable t) {
    blob.fail(new OciError(ErrorCode.UNAVAILABLE, 502, "upstream " + registry + " broke off " + blob.digest()));
    LOG.debug("upstream {} broke off {}", registry, blob.digest(), t);
  }

  @Override
  public void onComplete() {
    synchronized (this) {
      if (!decided) {
        completedEarly = true;
        return;
      }
    }
    if (blob.state() != InFlightBlob.State.STREAMING || !blob.verify() || relayed != null) {
      return; // a relayed blob is complete once its clients have it: nothing to store
    }
    try {
      CompletableFuture.runAsync(this::store, cx.background());
    } catch (RuntimeException rejected) { // shutting down: the temp file goes
      blob.fail(new OciError(ErrorCode.UNAVAILABLE, 503, "shutting down"));
    }
  }

  /** The download is over: a relay slot it held is free again. */
  void ended() {
    if (relayed != null && blob.relayed()) {
      cx.room().endRelay();
    }
  }

  private void store() {
    BlobIndex.Reservation room = blob.reservation();
    StoredBlob s;
    try {
      s = blob.commit(stored -> {
        if (room != null) {
          cx.index().add(stored, room);
        } else {
          cx.index().add(stored);
        }
      });
    } catch (IOException e) {
      cx.health().failed("storing " + blob.digest(), e);
      return;
    }
    if (s != null) {
      cx.health().succeeded();
      cx.afterStore().run();
    }
  }
}
