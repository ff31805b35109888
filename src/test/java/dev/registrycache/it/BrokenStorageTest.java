package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.manifestPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.server.CacheApplication;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A storage that stops taking writes (read-only, removed) is told on /status and /readyz and in
 * the metrics; the cache keeps serving what it holds, passes what it cannot store through, and
 * heals by itself.
 */
class BrokenStorageTest extends CacheTestBase {
  private static final String REPO = "library/app";

  @Test
  void aReadOnlyStorageServesWhatItHoldsAndPassesManifestsThroughAndSaysSo() throws Exception {
    FakeUpstream upstream = upstream();
    BreakableCache b = startBreakable(setup().registry("docker.io", upstream.url()));
    CacheApplication cache = b.cache();
    CacheClient client = new CacheClient(cache.address());
    String stored = Pulls.manifestAndBlob(upstream, client, REPO, 1);
    awaitIndexed(cache, stored);
    assertTrue(text(admin(cache, "/status")).contains(", writable"), text(admin(cache, "/status")));

    b.store().breakReadOnly();
    byte[] fresh = TestContent.manifest(TestContent.OCI_MANIFEST, "after-break");
    upstream.manifest("library/other", "v2", TestContent.OCI_MANIFEST, fresh);
    String log;
    try (OutputCapture capture = new OutputCapture()) {
      HttpResponse<byte[]> hit = client.get("/v2/" + REPO + "/blobs/" + stored);
      assertEquals(200, hit.statusCode(), "what is stored is still served");
      HttpResponse<byte[]> m = client.get("/v2/library/other/manifests/v2");
      assertEquals(200, m.statusCode(), text(m));
      assertArrayEquals(fresh, m.body(), "fetched fine, served although it cannot be stored");
      byte[] layer = TestContent.random(3 << 20, 9);
      String layerDigest = upstream.blob("library/other", layer);
      HttpResponse<byte[]> blob = client.get("/v2/library/other/blobs/" + layerDigest);
      assertEquals(200, blob.statusCode(), text(blob));
      assertArrayEquals(layer, blob.body(), "a blob is passed through whole");
      assertFalse(Files.exists(storedFile(layerDigest)));
      cache.storage().check();
      log = capture.text();
    }
    assertFalse(log.contains("ERROR"), "no ERROR for a disk that takes no writes:\n" + log);
    assertFalse(log.contains("\tat "), "no stack trace:\n" + log);
    assertTrue(log.contains("storage cannot be written (read-only file system)"), log);
    assertEquals(1.0, cache.metrics().count("served_unstored", "kind", "manifest", "reason", "read-only"));
    assertEquals(1.0, cache.metrics().count("served_unstored", "kind", "blob", "reason", "read-only"));
    assertTrue(writeFailures(cache, "read-only") >= 3, "the manifest, the blob and the probe");
    assertEquals(0.0, gauge(cache, "registry_cache_store_writable"));

    HttpResponse<byte[]> status = admin(cache, "/status");
    assertTrue(text(status).startsWith("ready\n"), text(status));
    assertTrue(text(status).contains("storage not writable since"), text(status));
    assertTrue(text(status).contains("read-only file system"), text(status));
    HttpResponse<byte[]> ready = admin(cache, "/readyz");
    assertEquals(200, ready.statusCode(), "still serving: not taken out of service");
    assertTrue(text(ready).startsWith("ready: storage not writable"), text(ready));

    b.store().heal();
    cache.storage().check();
    assertEquals(1.0, gauge(cache, "registry_cache_store_writable"));
    assertEquals("ready\n", text(admin(cache, "/readyz")));
    assertArrayEquals(fresh, client.get("/v2/library/other/manifests/v2").body());
    assertEquals(2, upstream.count("GET", manifestPath("library/other", "v2")), "not cached while broken");
    assertTrue(Files.exists(storedFile(TestContent.sha256(fresh))), "stored once the storage heals");
  }

  @Test
  void aStorageDirectoryRemovedWhileRunningIsMadeAgainAndPullsGoOn() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()));
    CacheClient client = new CacheClient(cache.address());
    byte[] old = TestContent.random(300_000, 2);
    String oldDigest = upstream.blob(REPO, old);
    assertArrayEquals(old, client.get("/v2/" + REPO + "/blobs/" + oldDigest).body());
    awaitIndexed(cache, oldDigest);

    deleteTree();
    byte[] fresh = TestContent.random(200_000, 3);
    String freshDigest = upstream.blob(REPO, fresh);
    HttpResponse<byte[]> r = client.get("/v2/" + REPO + "/blobs/" + freshDigest);
    assertEquals(200, r.statusCode(), text(r));
    assertArrayEquals(fresh, r.body());
    awaitTrue("stored in the directory made again", () -> Files.exists(storedFile(freshDigest)));

    HttpResponse<byte[]> again = client.get("/v2/" + REPO + "/blobs/" + oldDigest);
    assertEquals(200, again.statusCode());
    assertArrayEquals(old, again.body(), "gone from disk: fetched again, not served from a stale entry");
    assertEquals(2, upstream.count("GET", FakeUpstream.blobPath(REPO, oldDigest)));
    awaitTrue("stored again", () -> Files.exists(storedFile(oldDigest)));

    deleteTree();
    cache.storage().check();
    assertEquals(0, cache.index().count(), "the check forgets what vanished");
    assertTrue(Files.isDirectory(storage().resolve("blobs")), "and makes the directories again");
    String status = text(admin(cache, "/status"));
    assertTrue(status.contains(", writable"), status);
    assertTrue(status.contains("storage directories were removed while in use; made again at"), status);
    assertTrue(writeFailures(cache, "missing") >= 1, "counted");
  }

  @Test
  void limitsThatCannotHoldOnTheDiskAreWarnedAtStartAndInStatus() throws Exception {
    FakeUpstream upstream = upstream();
    String log;
    BreakableCache b;
    try (OutputCapture capture = new OutputCapture()) {
      b = startBreakable(new CacheSetup(tmp.resolve("small")).registry("docker.io", upstream.url())
          .minFreeSpace(1L << 30).maxSize(20L << 30), s -> s.claimDisk(64L << 20, 28L << 20));
      log = capture.text();
    }
    assertTrue(log.contains("storage.minFreeSpace (1.0 GiB) is not less than the whole file system (64.0 MiB)"), log);
    assertTrue(text(admin(b.cache(), "/status")).contains("warning: storage.minFreeSpace (1.0 GiB)"));

    BreakableCache c = startBreakable(new CacheSetup(tmp.resolve("big")).registry("docker.io", upstream.url())
        .maxSize(1L << 30), s -> s.claimDisk(64L << 20, 28L << 20));
    String status = text(admin(c.cache(), "/status"));
    assertTrue(status.contains("warning: storage.maxSize (1.0 GiB) cannot be reached on this file system: it has"
        + " 64.0 MiB, 28.0 MiB of it usable"), status);
  }

  private void deleteTree() throws Exception {
    try (Stream<java.nio.file.Path> s = Files.walk(storage())) {
      for (java.nio.file.Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
    assertFalse(Files.exists(storage()));
  }

  private static String text(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  private static double writeFailures(CacheApplication cache, String reason) {
    return cache.metrics().registry().find("registry_cache_store_write_failures").tag("reason", reason)
        .functionCounter().count();
  }

  private static double gauge(CacheApplication cache, String name) {
    return cache.metrics().registry().find(name).gauge().value();
  }
}
