package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.registrycache.server.CacheApplication;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Stopping the cache lets answers in progress finish (bounded) and takes no new requests. */
class ShutdownTest extends CacheTestBase {
  @Test
  void aBlobBeingSentIsFinishedBeforeTheCacheStops() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = CacheApplication.start(setup().registry("docker.io", upstream.url()).config());
    CacheClient client = new CacheClient(cache.address());
    byte[] bytes = TestContent.random(2 << 20, 77);
    String digest = upstream.blob("library/app", bytes);
    CountDownLatch halfSent = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    closeAfter(proceed::countDown);
    upstream.behave(blobPath("library/app", digest), UpstreamBehavior.gated(halfSent, proceed));

    HttpResponse<InputStream> r = CacheClient.await(client.stream("/v2/library/app/blobs/" + digest));
    assertEquals(200, r.statusCode());
    halfSent.await(10, TimeUnit.SECONDS);
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
}
