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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A disk too small or too full for a blob: the clients still get the whole blob (passed
 * through from upstream, not stored), old content is evicted first when that makes room, and a
 * disk that fills up halfway through a download does not cut the clients' answers short.
 */
class FullDiskTest extends CacheTestBase {
  private static final String REPO = "library/app";
  private static final long MIB = 1 << 20;

  private record SmallDiskCache(CacheApplication cache, SmallDiskStore disk, CacheClient client) {}

  private SmallDiskCache start(FakeUpstream upstream, long capacity) throws Exception {
    SmallDiskStore[] disk = new SmallDiskStore[1];
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()),
        s -> disk[0] = new SmallDiskStore(s, storage(), capacity));
    return new SmallDiskCache(cache, disk[0], new CacheClient(cache.address()));
  }

  @Test
  void aBlobLargerThanTheDiskReachesTheClientWholeWithoutBeingStored() throws Exception {
    FakeUpstream upstream = upstream();
    SmallDiskCache c = start(upstream, 8 * MIB);
    byte[] layer = TestContent.random((int) (10 * MIB), 1);
    String digest = upstream.blob(REPO, layer);

    for (int pull = 1; pull <= 2; pull++) {
      HttpResponse<byte[]> r = c.client().get("/v2/" + REPO + "/blobs/" + digest);
      assertEquals(200, r.statusCode());
      assertArrayEquals(layer, r.body(), "pull " + pull + ": the whole blob, right bytes");
    }
    assertEquals(2, upstream.count("GET", blobPath(REPO, digest)), "passed through each time, never stored");
    assertEquals(2.0, c.cache().metrics().count("served_unstored", "kind", "blob", "reason", "no-room"));
    assertNothingStored(digest);
    assertEquals(0.0, c.cache().metrics().count("upstream_errors", "registry", "docker.io", "reason", "stalled"));
  }

  @Test
  void oldContentIsEvictedToMakeRoomForANewLayer() throws Exception {
    FakeUpstream upstream = upstream();
    SmallDiskCache c = start(upstream, 16 * MIB);
    String[] old = new String[3];
    for (int i = 0; i < old.length; i++) { // 9 MiB of old content, 7 MiB free
      byte[] b = TestContent.random((int) (3 * MIB), 10 + i);
      old[i] = upstream.blob(REPO, b);
      assertArrayEquals(b, c.client().get("/v2/" + REPO + "/blobs/" + old[i]).body());
      awaitIndexed(c.cache(), old[i]);
      Thread.sleep(20); // last-use times in milliseconds: the first is the least recently used
    }
    byte[] layer = TestContent.random((int) (10 * MIB), 2);
    String digest = upstream.blob(REPO, layer);

    HttpResponse<byte[]> r = c.client().get("/v2/" + REPO + "/blobs/" + digest);
    assertEquals(200, r.statusCode());
    assertArrayEquals(layer, r.body());
    awaitIndexed(c.cache(), digest);
    assertTrue(Files.exists(storedFile(digest)), "stored, room having been made");
    assertFalse(Files.exists(storedFile(old[0])), "the least recently used went first");
    assertTrue(Files.exists(storedFile(old[2])), "the most recently used stays");
    assertTrue(c.cache().index().evictions() >= 1);
    assertEquals(0.0, c.cache().metrics().count("served_unstored", "kind", "blob", "reason", "no-room"));
    assertTrue(c.disk().used() <= 16 * MIB);
  }

  @Test
  void aDiskThatFillsUpHalfwayDoesNotCutTheClientsShort() throws Exception {
    FakeUpstream upstream = upstream();
    SmallDiskCache c = start(upstream, 64 * MIB);
    byte[] layer = TestContent.random((int) (8 * MIB), 3);
    String digest = upstream.blob(REPO, layer);
    CountDownLatch halfSent = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    closeAfter(proceed::countDown);
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.gated(halfSent, proceed));

    List<CompletableFuture<HttpResponse<InputStream>>> clients = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      clients.add(c.client().stream("/v2/" + REPO + "/blobs/" + digest));
    }
    assertTrue(halfSent.await(10, TimeUnit.SECONDS));
    awaitTrue("half of it in the temp file", () -> c.disk().used() >= 4 * MIB);
    c.disk().fill(64 * MIB - c.disk().used() + 1000); // someone else takes the rest of the disk
    proceed.countDown();

    List<CompletableFuture<byte[]>> bodies = new ArrayList<>(); // read at once, as clients do
    for (CompletableFuture<HttpResponse<InputStream>> f : clients) {
      HttpResponse<InputStream> r = CacheClient.await(f);
      assertEquals(200, r.statusCode());
      bodies.add(CompletableFuture.supplyAsync(() -> {
        try (InputStream in = r.body()) {
          return in.readAllBytes();
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }));
    }
    for (CompletableFuture<byte[]> body : bodies) {
      assertArrayEquals(layer, CacheClient.await(body), "the whole blob, although the disk filled up");
    }
    assertEquals(1, upstream.count("GET", blobPath(REPO, digest)), "one download for all three");
    assertEquals(1.0, c.cache().metrics().count("served_unstored", "kind", "blob", "reason", "no-space"));
    assertNothingStored(digest);
    assertEquals(0, c.cache().index().reservedBytes(), "its room given back");
  }

  @Test
  void theStoreStaysWithinItsLimitWhileManyDownloadsRunAtOnce() throws Exception {
    FakeUpstream upstream = upstream();
    long limit = 10 * MIB;
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()).maxSize(limit));
    List<byte[]> blobs = new ArrayList<>();
    List<String> digests = new ArrayList<>();
    int largest = 0;
    for (int i = 0; i < 12; i++) { // 30 MiB of blobs of 1.5 to 3.5 MiB: three times the limit
      byte[] b = TestContent.random((int) (MIB * 3 / 2 + (i % 5) * MIB / 2), 100 + i);
      largest = Math.max(largest, b.length);
      blobs.add(b);
      digests.add(upstream.blob(REPO, b));
    }
    long[] peak = {0};
    long[] peakWithReserved = {0};
    CountDownLatch stop = new CountDownLatch(1);
    Thread sampler = new Thread(() -> {
      while (stop.getCount() > 0) {
        peak[0] = Math.max(peak[0], cache.index().totalBytes());
        peakWithReserved[0] = Math.max(peakWithReserved[0], cache.index().bytesWithReservations());
        Thread.onSpinWait();
      }
    });
    sampler.start();
    closeAfter(stop::countDown);
    CacheClient client = new CacheClient(cache.address());
    for (int round = 0; round < 3; round++) {
      List<CompletableFuture<HttpResponse<byte[]>>> pulls = new ArrayList<>();
      for (int i = 0; i < blobs.size(); i++) {
        int k = (i + round * 5) % blobs.size();
        pulls.add(CompletableFuture.supplyAsync(() -> client.get("/v2/" + REPO + "/blobs/" + digests.get(k))));
      }
      for (int i = 0; i < pulls.size(); i++) {
        HttpResponse<byte[]> r = pulls.get(i).get(CacheClient.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(200, r.statusCode());
        assertArrayEquals(blobs.get((i + round * 5) % blobs.size()), r.body());
      }
    }
    stop.countDown();
    sampler.join(5000);
    System.out.println("store size peak " + peak[0] + " bytes, with reservations " + peakWithReserved[0]
        + ", limit " + limit + ", largest blob " + largest);
    assertTrue(peak[0] <= limit + largest, "store size peaked at " + peak[0] + " > limit + largest blob");
    assertTrue(peakWithReserved[0] <= limit, "stored and reserved peaked at " + peakWithReserved[0]);
    awaitTrue("no room left promised", () -> cache.index().reservedBytes() == 0);
  }
}
