package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static dev.registrycache.it.FakeUpstream.manifestPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.config.StorageScan;
import dev.registrycache.server.CacheApplication;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Bytes on disk that are no longer the blob they are stored as (flipped in place, cut short),
 * while the cache runs and across a restart: never served, dropped, fetched again.
 */
class CorruptionTest extends CacheTestBase {
  private static final String REPO = "library/app";

  /** A blob sent with sendfile, and one small enough to be held in memory. */
  @ParameterizedTest
  @ValueSource(ints = {1 << 20, 20_000})
  void bytesFlippedInPlaceWhileRunningAreNeverServed(int size) throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()));
    byte[] blob = TestContent.random(size, 1);
    String digest = upstream.blob(REPO, blob);
    CacheClient client = new CacheClient(cache.address());
    assertArrayEquals(blob, client.get("/v2/" + REPO + "/blobs/" + digest).body());
    awaitIndexed(cache, digest);
    Thread.sleep(20); // file times are kept at the kernel clock's tick, a few ms

    flip(storedFile(digest), size / 2, false);

    for (String range : new String[] {null, "bytes=0-" + (size - 1)}) {
      HttpResponse<byte[]> r = range == null ? client.get("/v2/" + REPO + "/blobs/" + digest)
          : client.get("/v2/" + REPO + "/blobs/" + digest, "Range", range);
      assertEquals(range == null ? 200 : 206, r.statusCode());
      assertArrayEquals(blob, r.body(), "the right bytes (fetched again), never the flipped ones");
    }
    if (size > 65536) { // a small blob's good copy was in memory already: nothing to refetch
      assertEquals(1.0, corrupt(cache, "digest"));
      assertEquals(2, upstream.count("GET", blobPath(REPO, digest)), "fetched again once");
    }
  }

  @Test
  void aFileCutShortWhileRunningIsFetchedAgainNotServedShort() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()));
    byte[] blob = TestContent.random(1 << 20, 2);
    String digest = upstream.blob(REPO, blob);
    CacheClient client = new CacheClient(cache.address());
    assertArrayEquals(blob, client.get("/v2/" + REPO + "/blobs/" + digest).body());
    awaitIndexed(cache, digest);

    try (FileChannel ch = FileChannel.open(storedFile(digest), StandardOpenOption.WRITE)) {
      ch.truncate(blob.length / 3);
    }
    RawHttp.Response r = RawHttp.get(cache.address(), "/v2/" + REPO + "/blobs/" + digest, CacheClient.TIMEOUT);
    assertEquals(200, r.status());
    assertTrue(r.complete(), "a whole answer, not one cut short");
    assertArrayEquals(blob, r.body());
    assertEquals(1.0, corrupt(cache, "size"));
    awaitTrue("stored again, whole", () -> sizeOf(storedFile(digest)) == blob.length);
  }

  @Test
  void aBlobThatRottedWhileTheCacheWasDownIsCheckedOnFirstUseAndFetchedAgain() throws Exception {
    FakeUpstream upstream = upstream();
    byte[] big = TestContent.random(3 << 20, 3);
    byte[] small = TestContent.random(10_000, 4);
    String bigDigest = upstream.blob(REPO, big);
    String smallDigest = upstream.blob(REPO, small);
    CacheSetup setup = setup().registry("docker.io", upstream.url()); // no background check
    try (CacheApplication first = CacheApplication.start(setup.config())) {
      CacheClient client = new CacheClient(first.address());
      assertArrayEquals(big, client.get("/v2/" + REPO + "/blobs/" + bigDigest).body());
      assertArrayEquals(small, client.get("/v2/" + REPO + "/blobs/" + smallDigest).body());
      awaitIndexed(first, bigDigest);
      awaitIndexed(first, smallDigest);
    }
    flip(storedFile(bigDigest), 12345, true); // bit rot: the file's time does not move
    flip(storedFile(smallDigest), 99, true);

    CacheApplication second = start(setup);
    assertEquals(2.0, second.metrics().registry().find("registry_cache_store_unverified_blobs").gauge().value());
    CacheClient client = new CacheClient(second.address());
    HttpResponse<byte[]> b = client.get("/v2/" + REPO + "/blobs/" + bigDigest);
    assertEquals(200, b.statusCode());
    assertArrayEquals(big, b.body());
    assertArrayEquals(small, client.get("/v2/" + REPO + "/blobs/" + smallDigest).body());
    assertEquals(2.0, corrupt(second, "digest"));
    assertEquals(2, upstream.count("GET", blobPath(REPO, bigDigest)));
    assertEquals(2, upstream.count("GET", blobPath(REPO, smallDigest)));
  }

  @Test
  void theBackgroundCheckAfterAStartFindsRotBeforeAnyoneAsks() throws Exception {
    FakeUpstream upstream = upstream();
    byte[] good = TestContent.random(2 << 20, 5);
    byte[] rotten = TestContent.random(2 << 20, 6);
    String goodDigest = upstream.blob(REPO, good);
    String rottenDigest = upstream.blob(REPO, rotten);
    CacheSetup setup = setup().registry("docker.io", upstream.url());
    try (CacheApplication first = CacheApplication.start(setup.config())) {
      CacheClient client = new CacheClient(first.address());
      client.get("/v2/" + REPO + "/blobs/" + goodDigest);
      client.get("/v2/" + REPO + "/blobs/" + rottenDigest);
      awaitIndexed(first, goodDigest);
      awaitIndexed(first, rottenDigest);
    }
    flip(storedFile(rottenDigest), 1, true);

    CacheApplication second = start(setup.scan(new StorageScan(64L << 20, Duration.ZERO)));
    awaitTrue("the rotten blob dropped", () -> !Files.exists(storedFile(rottenDigest)));
    awaitTrue("everything checked", () ->
        second.metrics().registry().find("registry_cache_store_unverified_blobs").gauge().value() == 0);
    assertEquals(1.0, corrupt(second, "digest"));
    assertTrue(Files.exists(storedFile(goodDigest)), "the good one stays");
    assertTrue(second.metrics().registry().find("registry_cache_store_verified_bytes").functionCounter().count()
        >= good.length + rotten.length);
    int asked = upstream.total();
    assertArrayEquals(good, new CacheClient(second.address()).get("/v2/" + REPO + "/blobs/" + goodDigest).body());
    assertEquals(asked, upstream.total(), "the checked one is a hit");
  }

  @Test
  void aStoredManifestThatRottedIsFetchedAgainByTagAndByDigest() throws Exception {
    FakeUpstream upstream = upstream();
    byte[] manifest = TestContent.manifest(TestContent.OCI_MANIFEST, "rot");
    String digest = upstream.manifest(REPO, "v1", TestContent.OCI_MANIFEST, manifest);
    CacheSetup setup = setup().registry("docker.io", upstream.url());
    try (CacheApplication first = CacheApplication.start(setup.config())) {
      assertArrayEquals(manifest, new CacheClient(first.address()).get("/v2/" + REPO + "/manifests/v1").body());
    }
    flip(storedFile(digest), 30, true);

    CacheApplication second = start(setup);
    CacheClient client = new CacheClient(second.address());
    HttpResponse<byte[]> byDigest = client.get("/v2/" + REPO + "/manifests/" + digest);
    assertEquals(200, byDigest.statusCode());
    assertArrayEquals(manifest, byDigest.body());
    HttpResponse<byte[]> byTag = client.get("/v2/" + REPO + "/manifests/v1");
    assertArrayEquals(manifest, byTag.body());
    assertEquals(1.0, corrupt(second, "digest"));
    assertEquals(1, upstream.count("GET", manifestPath(REPO, digest)), "fetched again, by digest");
    assertFalse(new String(byTag.body()).contains("\u0000"));
  }

  /** Flips the bits of one byte in place; {@code keepTime}: as bit rot would, without moving the file's time. */
  private static void flip(Path file, long at, boolean keepTime) throws IOException {
    FileTime time = Files.getLastModifiedTime(file);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, at);
      b.put(0, (byte) ~b.get(0));
      b.rewind();
      ch.write(b, at);
    }
    if (keepTime) {
      Files.setLastModifiedTime(file, time);
    }
  }

  private static long sizeOf(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return -1;
    }
  }

  private static double corrupt(CacheApplication cache, String reason) {
    return cache.metrics().registry().find("registry_cache_store_corrupt").tag("reason", reason)
        .functionCounter().count();
  }
}
