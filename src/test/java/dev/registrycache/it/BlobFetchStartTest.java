package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.cache.BlobService;
import dev.registrycache.cache.InFlightBlob;
import dev.registrycache.config.CacheConfig;
import dev.registrycache.metrics.CacheMetrics;
import dev.registrycache.oci.Digest;
import dev.registrycache.oci.OciError;
import dev.registrycache.store.BlobIndex;
import dev.registrycache.store.StorageHealth;
import dev.registrycache.store.BlobStore;
import dev.registrycache.store.BlobWriter;
import dev.registrycache.store.FileSystemBlobStore;
import dev.registrycache.upstream.UpstreamClient;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.nio.file.Files;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A blob download that fails while it is being started, before any upstream exchange exists
 * (a bug, a store that throws, an executor that refuses work): the request that started it
 * gets an OCI error that gives nothing away, and the single-flight entry is cleared, so the
 * next request downloads afresh instead of joining a download nobody will ever finish. And the
 * other way round: a download that has everything and is only slow to reach the disk is not
 * taken for stalled.
 */
class BlobFetchStartTest extends CacheTestBase {
  private static final String REPO = "library/app";
  private FakeUpstream upstream;
  private CacheConfig config;
  private ExecutorService io;
  private ScheduledExecutorService scheduler;
  private EventLoopGroup loops;
  private byte[] bytes;
  private Digest digest;

  @BeforeEach
  void startUpstream() throws IOException {
    upstream = upstream();
    config = setup().registry("docker.io", upstream.url()).config();
    io = Executors.newCachedThreadPool();
    closeAfter(io::shutdownNow);
    scheduler = Executors.newSingleThreadScheduledExecutor();
    closeAfter(scheduler::shutdownNow);
    loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    closeAfter(loops::shutdownGracefully);
    bytes = TestContent.random(100_000, 17);
    digest = Digest.parse(upstream.blob(REPO, bytes));
  }

  @Test
  void anExceptionWhileStartingFailsTheDownloadAndTheNextRequestStartsAfresh() throws Exception {
    Files.createDirectories(storage());
    AtomicInteger failures = new AtomicInteger(1);
    BlobStore store = new ThrowingOnCreate(new FileSystemBlobStore(storage()), failures);
    BlobIndex index = new BlobIndex(store);
    BlobService blobs = service(store, index, io);

    InFlightBlob first = started(blobs, false);
    awaitTrue("first download settled", () -> settled(first));
    assertInternalError(first);
    assertEquals(0, blobs.inFlightCount(), "single-flight entry cleared");
    assertEquals(0, upstream.total(), "never got as far as upstream");

    InFlightBlob second = started(blobs, false);
    awaitTrue("second download settled", () -> settled(second));
    assertEquals(InFlightBlob.State.COMPLETE, second.state(), String.valueOf(second.failure()));
    assertNotNull(index.peek(digest));
    assertArrayEquals(bytes, Files.readAllBytes(second.stored().path()));
    assertEquals(1, upstream.count("GET", blobPath(REPO, digest.toString())));
  }

  @Test
  void aDownloadTheExecutorRefusesFailsAtOnceInsteadOfWedgingTheDigest() throws Exception {
    AtomicInteger refusals = new AtomicInteger(1);
    Executor refusingOnce = task -> {
      if (refusals.getAndDecrement() > 0) {
        throw new RejectedExecutionException("queue full");
      }
      io.execute(task);
    };
    BlobStore store = new FileSystemBlobStore(storage());
    BlobIndex index = new BlobIndex(store);
    BlobService blobs = service(store, index, refusingOnce);

    InFlightBlob first = started(blobs, false);
    assertInternalError(first);
    assertEquals(0, blobs.inFlightCount(), "single-flight entry cleared");

    InFlightBlob second = started(blobs, false);
    awaitTrue("second download settled", () -> settled(second));
    assertEquals(InFlightBlob.State.COMPLETE, second.state(), String.valueOf(second.failure()));
    assertEquals(1, upstream.count("GET", blobPath(REPO, digest.toString())));
  }

  @Test
  void aDownloadSlowToSyncIsNotTakenForStalledAndStaysTheOnlyOne() throws Exception {
    config = setup().registry("docker.io", upstream.url()).idleTimeout(java.time.Duration.ofSeconds(1)).config();
    java.util.concurrent.CountDownLatch syncing = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    closeAfter(release::countDown);
    BlobStore store = new SlowCommit(new FileSystemBlobStore(storage()), syncing, release);
    BlobIndex index = new BlobIndex(store);
    BlobService blobs = service(store, index, io);

    InFlightBlob first = started(blobs, false);
    assertTrue(syncing.await(10, java.util.concurrent.TimeUnit.SECONDS), "the body arrived and the commit began");
    Thread.sleep(3000); // three idle timeouts, each one checked
    InFlightBlob second = started(blobs, true);
    assertTrue(first == second, "joined the download being stored");
    release.countDown();
    awaitTrue("stored", () -> settled(first));
    assertEquals(InFlightBlob.State.COMPLETE, first.state(), String.valueOf(first.failure()));
    assertEquals(1, upstream.count("GET", blobPath(REPO, digest.toString())));
  }

  private BlobService service(BlobStore store, BlobIndex index, Executor background) {
    CacheMetrics metrics = CacheMetrics.inMemory();
    return new BlobService(config, store, index, new UpstreamClient(config, metrics, io, loops, NioSocketChannel.class), metrics,
        scheduler, background, () -> { }, new StorageHealth());
  }

  private InFlightBlob started(BlobService blobs, boolean joined) {
    BlobService.Lookup lookup = blobs.lookup(config.registry("docker.io"), REPO, digest);
    BlobService.Fetching f = assertInstanceOf(BlobService.Fetching.class, lookup);
    assertEquals(joined, f.joined(), "joined a running download");
    return f.blob();
  }

  private static boolean settled(InFlightBlob b) {
    return b.state() == InFlightBlob.State.FAILED || b.state() == InFlightBlob.State.COMPLETE;
  }

  private static void assertInternalError(InFlightBlob b) {
    assertEquals(InFlightBlob.State.FAILED, b.state());
    OciError e = b.failure();
    assertEquals(500, e.status());
    assertTrue(e.message().startsWith("internal error "), e.message());
    assertFalse(e.message().contains("Exception") || e.message().contains("java.")
        || e.message().contains("queue full") || e.message().contains("injected"), e.message());
  }

  /** A store whose {@code create} throws an unchecked exception the first {@code failures} times. */
  private static final class ThrowingOnCreate extends ForwardingBlobStore {
    private final AtomicInteger failures;

    ThrowingOnCreate(BlobStore delegate, AtomicInteger failures) {
      super(delegate);
      this.failures = failures;
    }

    @Override
    public BlobWriter create(Digest d) throws IOException {
      if (failures.getAndDecrement() > 0) {
        throw new IllegalStateException("injected");
      }
      return super.create(d);
    }
  }

  /** A store whose writers hold {@code commit} (sync and rename) until {@code release} opens. */
  private static final class SlowCommit extends ForwardingBlobStore {
    private final java.util.concurrent.CountDownLatch syncing;
    private final java.util.concurrent.CountDownLatch release;

    SlowCommit(BlobStore delegate, java.util.concurrent.CountDownLatch syncing,
        java.util.concurrent.CountDownLatch release) {
      super(delegate);
      this.syncing = syncing;
      this.release = release;
    }

    @Override
    public BlobWriter create(Digest d) throws IOException {
      BlobWriter w = super.create(d);
      return new ForwardingBlobWriter(w) {
        @Override
        public dev.registrycache.store.StoredBlob commit() throws IOException {
          syncing.countDown();
          try {
            if (!release.await(UpstreamBehavior.MAX_HOLD.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
              throw new IOException("never released");
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
          }
          return super.commit();
        }
      };
    }
  }
}
