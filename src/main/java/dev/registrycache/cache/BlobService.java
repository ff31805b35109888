package dev.registrycache.cache;

import dev.registrycache.config.CacheConfig;
import dev.registrycache.config.MinSpeed;
import dev.registrycache.config.RegistryConfig;
import dev.registrycache.metrics.CacheMetrics;
import dev.registrycache.oci.Digest;
import dev.registrycache.oci.ErrorCode;
import dev.registrycache.oci.OciError;
import dev.registrycache.store.BlobIndex;
import dev.registrycache.store.BlobStore;
import dev.registrycache.store.BlobWriter;
import dev.registrycache.store.StorageHealth;
import dev.registrycache.upstream.UpstreamClient;
import dev.registrycache.upstream.UpstreamException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import dev.registrycache.peer.PeerDirectory;
import dev.registrycache.peer.Peers;
import dev.registrycache.upstream.BodySink;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.ResponseInfo;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blobs: answered from the store when present; otherwise fetched from upstream exactly once
 * however many clients ask at the same time (single flight), every client reading along the
 * growing file. Downloads that stall longer than the idle timeout are cancelled.
 */
public final class BlobService {
  private static final Logger LOG = LoggerFactory.getLogger(BlobService.class);

  private final CacheConfig config;
  private final BlobStore store;
  private final BlobIndex index;
  private final UpstreamClient upstream;
  private final CacheMetrics metrics;
  private final Executor background;
  private final Runnable afterStore;
  private final StorageHealth health;
  private final BlobDownload.Context downloads;
  private final ConcurrentHashMap<Digest, InFlightBlob> inFlight = new ConcurrentHashMap<>();
  /** The other caches to fetch from first, or null when this cache asks none. */
  private volatile Peers peers;

  /** What a blob request finds. */
  public sealed interface Lookup permits Hit, Fetching, Busy {}

  /**
   * A peer asked for a blob this cache is itself fetching from a peer (the two disagree, for a
   * moment, on who owns it): it is told so at once and goes upstream itself, instead of the two
   * waiting for each other.
   */
  public record Busy() implements Lookup {}

  /** Stored: serve the file. The entry is retained; release it when the answer is written. */
  public record Hit(BlobIndex.Entry entry) implements Lookup {}

  /** Being downloaded: read along. {@code joined} is false for the request that started it. */
  public record Fetching(InFlightBlob blob, boolean joined) implements Lookup {}

  public BlobService(CacheConfig config, BlobStore store, BlobIndex index, UpstreamClient upstream,
      CacheMetrics metrics, ScheduledExecutorService scheduler, Executor background,
      Runnable afterStore, StorageHealth health) {
    this.config = config;
    this.store = store;
    this.index = index;
    this.upstream = upstream;
    this.metrics = metrics;
    this.background = background;
    this.afterStore = afterStore;
    this.health = health;
    this.downloads = new BlobDownload.Context(index, new DownloadRoom(index, store, config.maxSizeBytes(),
        config.minFreeBytes()), health, metrics, background, afterStore);
    scheduler.scheduleWithFixedDelay(this::cancelStalled, 1, 1, TimeUnit.SECONDS);
    scheduler.scheduleWithFixedDelay(this::publishTrickles, 50, 50, TimeUnit.MILLISECONDS);
  }

  /** From now on, misses are fetched from their owner among {@code p} first. */
  public void usePeers(Peers p) {
    this.peers = p;
  }

  public int inFlightCount() {
    return inFlight.size();
  }

  /** The stored blob, without marking it used (HEAD requests). */
  public BlobIndex.Entry peekStored(Digest digest) {
    return index.peek(digest);
  }

  /** The file of a stored blob vanished (deleted by hand): forget it, it will be fetched again. */
  public void forget(Digest digest) {
    index.forget(digest);
  }

  /** Never blocks: at most starts an asynchronous download. */
  public Lookup lookup(RegistryConfig reg, String repository, Digest digest) {
    return lookup(reg, repository, digest, 0);
  }

  /**
   * @param hop 0 for a client of this node; for a peer's request, how far it travelled (see
   *     {@link dev.registrycache.peer.PeerDirectory#next})
   */
  public Lookup lookup(RegistryConfig reg, String repository, Digest digest, int hop) {
    BlobIndex.Entry e = index.use(digest);
    if (e != null) {
      e.retain();
      return new Hit(e);
    }
    InFlightBlob f = inFlight.get(digest);
    if (f != null && f.joinable()) {
      if (!f.mayJoin(hop)) {
        return new Busy();
      }
      metrics.singleFlightJoin();
      return new Fetching(f, true);
    }
    // a failed download stays in the map until its upstream exchange is wound up, and a relay
    // lets go of the bytes its clients have: a client coming meanwhile gets a fresh download
    InFlightBlob mine = new InFlightBlob(digest, reg.name());
    f = inFlight.compute(digest, (d, running) -> running != null && running.joinable() ? running : mine);
    if (f != mine) {
      if (!f.mayJoin(hop)) {
        return new Busy();
      }
      metrics.singleFlightJoin();
      return new Fetching(f, true);
    }
    e = index.use(digest); // stored between our first look and now
    if (e != null) {
      inFlight.remove(digest, mine);
      e.retain();
      return new Hit(e);
    }
    try {
      background.execute(() -> start(mine, reg, repository, hop));
    } catch (RuntimeException rejected) { // shutting down, or overloaded
      abandon(mine, rejected);
    }
    return new Fetching(mine, false);
  }

  /**
   * Starts the download on the background executor. Whatever is thrown before the upstream
   * exchange exists fails this download (its readers get an OCI error) and clears the
   * single-flight entry, so that the next request starts afresh instead of joining a download
   * nobody will ever finish.
   */
  private void start(InFlightBlob blob, RegistryConfig reg, String repository, int hop) {
    try {
      fetch(blob, reg, repository, hop);
    } catch (RuntimeException e) {
      abandon(blob, e);
    }
  }

  private void abandon(InFlightBlob blob, RuntimeException e) {
    String id = OciError.newIncidentId();
    LOG.error("internal error {}: the download of {} from {} could not be started", id,
        blob.digest(), blob.registry(), e);
    blob.cancel(OciError.internal(id));
    inFlight.remove(blob.digest(), blob);
  }

  private void fetch(InFlightBlob blob, RegistryConfig reg, String repository, int hop) {
    BlobWriter writer;
    String unstorable = null;
    try {
      writer = store.create(blob.digest());
    } catch (IOException e) {
      // the clients get the blob all the same: passed through, not stored
      unstorable = health.failed("creating a temp file for " + blob.digest(), e).label();
      writer = BlobWriter.unstored(blob.digest());
    }
    BlobDownload d = new BlobDownload(blob, reg.name(), downloads, unstorable);
    FileChannel reader = null;
    if (writer.tempPath() != null) {
      try {
        reader = FileChannel.open(writer.tempPath(), StandardOpenOption.READ);
      } catch (IOException e) {
        reader = null; // each reader opens the file itself then
      }
    }
    blob.attach(writer, d, reader);
    String path = "/v2/" + repository + "/blobs/" + blob.digest();
    long t0 = System.nanoTime();
    long[] headersAt = {0};
    Function<ResponseInfo, BodySink> answered = info -> {
      headersAt[0] = System.nanoTime();
      return d.answered(info.headers().firstValueAsLong("Content-Length").orElse(-1));
    };
    Peers p = peers;
    // a client's own credentials go to upstream only, never through a peer
    Optional<PeerDirectory.Next> owner = p == null || reg.isCaller() ? Optional.empty()
        : p.owner(blob.digest().toString(), hop);
    CompletableFuture<HttpResponse<Void>> exchange = owner.isEmpty()
        ? upstream.stream(reg, repository, path, null, answered)
        : new PeerFetch(p, owner.get(), hop, blob, reg, repository, path, upstream, metrics).start(d, answered);
    exchange.whenComplete((r, err) -> {
      if (err != null) {
        UpstreamException ue = err instanceof UpstreamException u ? u
            : err.getCause() instanceof UpstreamException u2 ? u2 : null;
        blob.fail(ue != null ? Errors.fromUpstream(ue, ErrorCode.BLOB_UNKNOWN, blob.digest().toString())
            : new OciError(ErrorCode.UNAVAILABLE, 502, "the download of " + blob.digest() + " from "
                + reg.name() + " failed"));
      } else if (r.statusCode() < 200 || r.statusCode() >= 300) {
        blob.fail(Errors.fromStatus(r.statusCode(), reg.name(), ErrorCode.BLOB_UNKNOWN,
            "blob " + blob.digest()));
      }
      // the room may still be decided, a verified body synced and renamed: single flight holds
      // until the download is settled (stored, passed through or failed)
      blob.settled().whenComplete((x, y) -> {
        d.ended();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (blob.state() == InFlightBlob.State.COMPLETE) {
          LOG.info("fetched {} ({} bytes) from {} in {} ms, headers after {} ms", blob.digest(),
              blob.size(), blob.via() != null ? blob.via() : reg.name(), ms, (headersAt[0] - t0) / 1_000_000);
        } else if (blob.relayed() && blob.receivedAll()) {
          LOG.info("passed {} ({} bytes) from {} through without storing it ({}) in {} ms", blob.digest(),
              blob.size(), reg.name(), d.relayed(), ms);
        } else if (blob.state() == InFlightBlob.State.FAILED) {
          LOG.warn("download of {} from {} failed: {}", blob.digest(), reg.name(), blob.failure().message());
          if (blob.failure().code() == ErrorCode.DIGEST_INVALID) {
            metrics.digestMismatch(reg.name());
          }
        }
        inFlight.remove(blob.digest(), blob);
      });
    });
  }

  private void publishTrickles() {
    for (InFlightBlob f : inFlight.values()) {
      f.publish();
    }
  }

  /**
   * Gives up downloads without progress for the idle timeout (stalled in the body, or still
   * waiting for upstream's first answer: a connection accepted and then left silent), and those
   * slower than {@code timeouts.minSpeed} over {@code timeouts.minSpeedTime} (an upstream that
   * trickles a byte a second is not silent, but as stuck).
   */
  private void cancelStalled() {
    long limit = config.idleTimeout().toNanos();
    MinSpeed floor = config.minSpeed();
    long now = System.nanoTime();
    for (InFlightBlob f : inFlight.values()) {
      InFlightBlob.State state = f.state();
      boolean waiting = state == InFlightBlob.State.CONNECTING;
      // a body that arrived whole is only waiting for the disk: not stalled, whatever the sync takes
      // a relay waiting for its clients to take the bytes it holds is not stalled either
      boolean stalled = (waiting || state == InFlightBlob.State.STREAMING && !f.receivedAll()
          && f.pausedNanos(now) == 0) && now - f.lastProgressNanos() > limit;
      boolean slow = !stalled && floor.enabled() && f.pausedNanos(now) <= limit
          && f.tooSlow(now, floor.window().toNanos(), floor.bytesPerWindow());
      if ((stalled || slow) && f.failOver()) {
        LOG.warn("the peer that sends {} {}: the rest comes from upstream", f.digest(), stalled ? "stalled" : "is too slow");
        continue;
      }
      if (stalled) {
        LOG.warn("upstream {} {} {} for more than {} ms: cancelled", f.registry(),
            waiting ? "sent no answer for" : "stalled on", f.digest(), config.idleTimeout().toMillis());
        giveUp(f, "stalled", (waiting ? " did not answer for " : " stalled while sending ") + f.digest());
      } else if (f.pausedNanos(now) > limit) {
        LOG.warn("a client of {} (passed through from {}) has not read for {} ms, holding the others back:"
            + " its answer is cut", f.digest(), f.registry(), config.idleTimeout().toMillis());
        f.cutSlowestReader();
      } else if (slow) {
        LOG.warn("upstream {} sent {} slower than {} bytes/s over {} ms: cancelled", f.registry(), f.digest(),
            floor.bytesPerSecond(), floor.window().toMillis());
        giveUp(f, "slow", " sent " + f.digest() + " slower than " + floor.bytesPerSecond()
            + " bytes/s (timeouts.minSpeed)");
      }
    }
  }

  private void giveUp(InFlightBlob f, String reason, String what) {
    metrics.upstreamError(f.registry(), reason);
    f.cancel(new OciError(ErrorCode.UNAVAILABLE, 504, "upstream " + f.registry() + what));
    inFlight.remove(f.digest(), f); // the next request starts afresh at once
  }
}
