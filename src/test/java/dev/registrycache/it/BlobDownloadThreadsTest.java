package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.cache.BlobService;
import dev.registrycache.cache.InFlightBlob;
import dev.registrycache.config.CacheConfig;
import dev.registrycache.metrics.CacheMetrics;
import dev.registrycache.oci.Digest;
import dev.registrycache.store.BlobIndex;
import dev.registrycache.store.StorageHealth;
import dev.registrycache.store.BlobStore;
import dev.registrycache.store.BlobWriter;
import dev.registrycache.store.FileSystemBlobStore;
import dev.registrycache.store.StoredBlob;
import dev.registrycache.upstream.UpstreamClient;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Where a download's work runs: the body is written into the temp file on the event loop that
 * read it from upstream (no hand-off to a thread pool per network buffer; only what arrived
 * before upstream was paused for the room to be decided is written by the thread that decides
 * it), while the sync and rename into the store run off the event loops; and the download stays
 * the single flight for its blob until it is in the store.
 */
class BlobDownloadThreadsTest extends CacheTestBase {
  private static final String REPO = "library/app";

  @Test
  void theBodyIsWrittenOnTheEventLoopAndCommittedOffIt() throws Exception {
    FakeUpstream upstream = upstream();
    byte[] bytes = TestContent.random(3_000_000, 41);
    Digest digest = Digest.parse(upstream.blob(REPO, bytes));
    CacheConfig config = setup().registry("docker.io", upstream.url()).config();
    EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    closeAfter(loops::shutdownGracefully);
    ExecutorService io = Executors.newCachedThreadPool();
    closeAfter(io::shutdownNow);
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    closeAfter(scheduler::shutdownNow);
    Files.createDirectories(storage());
    CountDownLatch commitMayEnd = new CountDownLatch(1);
    Recording store = new Recording(new FileSystemBlobStore(storage()), commitMayEnd);
    BlobIndex index = new BlobIndex(store);
    CacheMetrics metrics = CacheMetrics.inMemory();
    UpstreamClient client = closeAfter(new UpstreamClient(config, metrics, io, loops, NioSocketChannel.class));
    BlobService blobs = new BlobService(config, store, index, client, metrics, scheduler, io, () -> { },
        new StorageHealth());

    var first = assertInstanceOf(BlobService.Fetching.class, blobs.lookup(config.registry("docker.io"), REPO, digest));
    InFlightBlob blob = first.blob();
    awaitTrue("verified and committing", () -> store.committing.getCount() == 0);
    assertEquals(bytes.length, blob.visibleBytes(), "the last byte is out before the sync");

    var second = blobs.lookup(config.registry("docker.io"), REPO, digest);
    assertTrue(second instanceof BlobService.Fetching f && f.joined() && f.blob() == blob,
        "while it is being synced a request joins the download instead of starting another");
    commitMayEnd.countDown();
    awaitTrue("stored", () -> index.peek(digest) != null);
    awaitTrue("single-flight entry cleared", () -> blobs.inFlightCount() == 0);
    assertInstanceOf(BlobService.Hit.class, blobs.lookup(config.registry("docker.io"), REPO, digest));
    assertArrayEquals(bytes, Files.readAllBytes(blob.stored().path()));
    assertEquals(1, upstream.count("GET", blobPath(REPO, digest.toString())));

    assertTrue(store.writesOnEventLoop.contains(true), "writes on the event loop: " + store.writeThreads);
    assertFalse(store.offLoopAfterOnLoop, "only what came before upstream was paused (written when the room is"
        + " decided) is written off the event loop: " + store.writeThreads);
    assertTrue(store.offLoopBytes <= 1 << 20, "bytes written off the event loop: " + store.offLoopBytes);
    assertFalse(store.commitOnEventLoop, "sync and rename off the event loop: " + store.commitThread);
  }

  /** A store whose writers record the threads they run on; commit waits for the test. */
  private static final class Recording extends ForwardingBlobStore {
    private final CountDownLatch commitMayEnd;
    final CountDownLatch committing = new CountDownLatch(1);
    final Set<Boolean> writesOnEventLoop = ConcurrentHashMap.newKeySet();
    final Set<String> writeThreads = ConcurrentHashMap.newKeySet();
    volatile boolean offLoopAfterOnLoop;
    volatile long offLoopBytes;
    volatile boolean commitOnEventLoop;
    volatile String commitThread;

    Recording(BlobStore delegate, CountDownLatch commitMayEnd) {
      super(delegate);
      this.commitMayEnd = commitMayEnd;
    }

    private static boolean onEventLoop() {
      return Thread.currentThread() instanceof io.netty.util.concurrent.FastThreadLocalThread;
    }

    @Override
    public BlobWriter create(Digest d) throws IOException {
      BlobWriter w = super.create(d);
      return new ForwardingBlobWriter(w) {
        @Override
        public void write(ByteBuffer buffer) throws IOException {
          boolean onLoop = onEventLoop();
          if (!onLoop) {
            offLoopAfterOnLoop |= writesOnEventLoop.contains(true);
            offLoopBytes += buffer.remaining();
          }
          writesOnEventLoop.add(onLoop);
          writeThreads.add(Thread.currentThread().getName());
          super.write(buffer);
        }

        @Override
        public StoredBlob commit() throws IOException {
          commitOnEventLoop = onEventLoop();
          commitThread = Thread.currentThread().getName();
          committing.countDown();
          try {
            if (!commitMayEnd.await(10, TimeUnit.SECONDS)) {
              throw new IOException("the test never let the commit end");
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
