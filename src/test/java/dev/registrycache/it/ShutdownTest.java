package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.server.CacheApplication;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Stopping the cache lets answers in progress finish (bounded) and takes no new requests. */
class ShutdownTest extends CacheTestBase {
  private final byte[] bytes = TestContent.random(2 << 20, 77);
  /** Opens the gate of the upstream's answer: the rest of the blob follows. */
  private final CountDownLatch proceed = new CountDownLatch(1);
  private CacheApplication cache;

  /**
   * Starts a cache (closed by each test itself) and a client's download of a blob that upstream
   * sends half of, then holds until {@link #proceed}.
   */
  private HttpResponse<InputStream> halfSentBlob() throws Exception {
    FakeUpstream upstream = upstream();
    closeAfter(proceed::countDown);
    cache = CacheApplication.start(setup().registry("docker.io", upstream.url()).config());
    String digest = upstream.blob("library/app", bytes);
    CountDownLatch halfSent = new CountDownLatch(1);
    upstream.behave(blobPath("library/app", digest), UpstreamBehavior.gated(halfSent, proceed));
    HttpResponse<InputStream> r = CacheClient.await(new CacheClient(cache.address())
        .stream("/v2/library/app/blobs/" + digest));
    assertEquals(200, r.statusCode());
    assertTrue(halfSent.await(10, TimeUnit.SECONDS), "upstream sent half");
    return r;
  }

  @Test
  void aBlobBeingSentIsFinishedBeforeTheCacheStops() throws Exception {
    HttpResponse<InputStream> r = halfSentBlob();
    CompletableFuture<Void> stopping = CompletableFuture.runAsync(cache::close);
    Thread.sleep(300); // the cache is now draining: no new connections
    assertThrows(AssertionError.class, () -> new CacheClient(cache.address()).get("/v2/"));
    proceed.countDown();
    byte[] got;
    try (InputStream in = r.body()) {
      got = in.readAllBytes();
    }
    assertArrayEquals(bytes, got, "the client got the whole blob although the cache was stopping");
    stopping.get(CacheApplication.DRAIN.toSeconds() + 10, TimeUnit.SECONDS);
  }

  @Test
  void aTransferThatDoesNotFinishIsCutAtTheDrainLimit() throws Exception {
    HttpResponse<InputStream> r = halfSentBlob(); // and upstream never sends the rest
    Duration drain = Duration.ofSeconds(1);
    long t0 = System.nanoTime();
    cache.close(drain);
    long tookMs = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(tookMs >= drain.toMillis() - 50, "waited for the transfer in progress: " + tookMs + " ms");
    assertTrue(tookMs < drain.toMillis() + 4000, "but no longer than the drain limit: " + tookMs + " ms");
    byte[] got = new byte[bytes.length];
    int n = 0;
    try (InputStream in = r.body()) {
      for (int k; n < got.length && (k = in.read(got, n, got.length - n)) > 0; ) {
        n += k;
      }
    } catch (IOException cut) {
      // the connection was closed under the transfer: what the limit is for
    }
    assertTrue(n < bytes.length, "the unfinished transfer was cut, not completed: " + n + " bytes");
  }

  @Test
  void aCacheWithNothingInProgressStopsWithoutWaitingForTheDrainLimit() throws Exception {
    FakeUpstream upstream = upstream();
    cache = CacheApplication.start(setup().registry("docker.io", upstream.url()).config());
    CacheClient client = new CacheClient(cache.address());
    assertEquals(401, client.get("/v2/").statusCode()); // the ping's challenge; the connection stays open
    long t0 = System.nanoTime();
    cache.close(Duration.ofSeconds(30));
    long tookMs = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(tookMs < 5000, "an idle connection is not waited for: " + tookMs + " ms");
  }
}
