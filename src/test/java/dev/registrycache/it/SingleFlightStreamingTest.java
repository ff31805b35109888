package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.server.CacheApplication;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Many clients asking for one uncached blob at once: one upstream request, and every client
 * reads along while upstream is still sending.
 */
class SingleFlightStreamingTest extends CacheTestBase {
  private static final String REPO = "library/big";
  private static final int CLIENTS = 50;
  private static final int SIZE = 4 << 20;
  /** What each client reads before upstream is allowed to send its second half. */
  private static final int EARLY_BYTES = 64 * 1024;

  @Test
  void fiftyConcurrentClientsShareOneUpstreamGetAndStreamBeforeItEnds() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()));
    CacheClient client = new CacheClient(cache.address());
    byte[] bytes = TestContent.random(SIZE, 50);
    String digest = upstream.blob(REPO, bytes);
    CountDownLatch halfSent = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    closeAfter(proceed::countDown); // never leave upstream waiting, whatever happens
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.gated(halfSent, proceed));
    String target = "/v2/" + REPO + "/blobs/" + digest;

    List<CompletableFuture<HttpResponse<InputStream>>> pending = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      pending.add(client.stream(target));
    }
    List<HttpResponse<InputStream>> responses = new ArrayList<>();
    for (CompletableFuture<HttpResponse<InputStream>> f : pending) {
      HttpResponse<InputStream> r = CacheClient.await(f);
      closeAfter(r.body());
      assertEquals(200, r.statusCode());
      assertEquals(SIZE, r.headers().firstValueAsLong("Content-Length").orElse(-1));
      assertEquals(digest, r.headers().firstValue("Docker-Content-Digest").orElse(null));
      responses.add(r);
    }
    assertTrue(halfSent.await(10, TimeUnit.SECONDS), "upstream sent its first half");

    ExecutorService readers = Executors.newFixedThreadPool(CLIENTS);
    closeAfter(readers::shutdownNow);
    List<Future<byte[]>> early = new ArrayList<>();
    for (HttpResponse<InputStream> r : responses) {
      early.add(readers.submit(() -> r.body().readNBytes(EARLY_BYTES)));
    }
    for (Future<byte[]> f : early) {
      byte[] head = f.get(CacheClient.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      assertArrayEquals(Arrays.copyOf(bytes, EARLY_BYTES), head, "first bytes while upstream waits");
    }
    assertEquals(1, proceed.getCount(), "upstream still holding its second half");
    assertFalse(Files.exists(storedFile(digest)), "not stored before upstream finished");

    proceed.countDown();
    List<Future<byte[]>> rest = new ArrayList<>();
    for (HttpResponse<InputStream> r : responses) {
      rest.add(readers.submit(() -> r.body().readAllBytes()));
    }
    for (Future<byte[]> f : rest) {
      byte[] tail = f.get(CacheClient.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      assertArrayEquals(Arrays.copyOfRange(bytes, EARLY_BYTES, SIZE), tail);
    }

    assertEquals(1, upstream.count("GET", blobPath(REPO, digest)), "single flight");
    assertEquals(CLIENTS - 1.0, cache.metrics().count("singleflight_joins"));
    awaitTrue("blob stored", () -> Files.exists(storedFile(digest)));
    HttpResponse<byte[]> hit = client.get(target);
    assertEquals(digest, TestContent.sha256(hit.body()));
    assertEquals(1, upstream.count("GET", blobPath(REPO, digest)));
  }

  @Test
  void slowUpstreamStillDeliversEveryByteToConcurrentClients() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()));
    CacheClient client = new CacheClient(cache.address());
    byte[] bytes = TestContent.random(512 * 1024, 51);
    String digest = upstream.blob(REPO, bytes);
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.throttled(16 * 1024, Duration.ofMillis(10)));
    String target = "/v2/" + REPO + "/blobs/" + digest;

    ExecutorService clients = Executors.newFixedThreadPool(10);
    closeAfter(clients::shutdownNow);
    List<CompletableFuture<HttpResponse<byte[]>>> all = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      all.add(CompletableFuture.supplyAsync(() -> client.get(target), clients));
    }
    for (CompletableFuture<HttpResponse<byte[]>> f : all) {
      HttpResponse<byte[]> r = CacheClient.await(f);
      assertEquals(200, r.statusCode());
      assertArrayEquals(bytes, r.body());
    }
    assertEquals(1, upstream.count("GET", blobPath(REPO, digest)));
  }
}
