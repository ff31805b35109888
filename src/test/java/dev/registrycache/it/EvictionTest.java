package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.server.CacheApplication;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** A size limit: least recently used blobs go first, and the store stays within it. */
class EvictionTest extends CacheTestBase {
  private static final String REPO = "library/app";
  private static final int SIZE = 100_000;
  private static final long LIMIT = 250_000;

  @Test
  void leastRecentlyUsedBlobsAreEvictedToStayWithinTheLimit() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()).maxSize(LIMIT));
    byte[][] blobs = new byte[3][];
    String[] digests = new String[3];
    for (int i = 0; i < 3; i++) {
      blobs[i] = TestContent.random(SIZE, 40 + i);
      digests[i] = upstream.blob(REPO, blobs[i]);
    }

    pull(cache, blobs[0], digests[0]);
    pull(cache, blobs[1], digests[1]);
    pull(cache, blobs[0], digests[0]); // a hit: blob 0 is now more recent than blob 1
    assertEquals(1, upstream.count("GET", blobPath(REPO, digests[0])));
    pull(cache, blobs[2], digests[2]);

    awaitTrue("blob 1 evicted", () -> !Files.exists(storedFile(digests[1])));
    assertTrue(Files.exists(storedFile(digests[0])), "recently used blob kept");
    assertTrue(Files.exists(storedFile(digests[2])), "newest blob kept");
    assertWithinLimit(cache);
    assertEquals(1.0, evictions(cache));

    pull(cache, blobs[1], digests[1]);
    assertEquals(2, upstream.count("GET", blobPath(REPO, digests[1])), "an evicted blob is fetched again");
    awaitTrue("blob 0 evicted now", () -> !Files.exists(storedFile(digests[0])));
    assertTrue(Files.exists(storedFile(digests[1])));
    assertTrue(Files.exists(storedFile(digests[2])));
    assertWithinLimit(cache);
    assertEquals(2.0, evictions(cache));
  }

  @Test
  void aRestartWithASmallerLimitEvictsTheOldestDownToIt() throws Exception {
    FakeUpstream upstream = upstream();
    String[] digests = new String[3];
    try (CacheApplication big = CacheApplication.start(setup().registry("docker.io", upstream.url()).config())) {
      for (int i = 0; i < 3; i++) {
        byte[] b = TestContent.random(SIZE, 50 + i);
        digests[i] = upstream.blob(REPO, b);
        pull(big, b, digests[i]); // file times then order them oldest first
      }
      assertEquals(3, big.index().count());
    }

    CacheApplication small = start(setup().registry("docker.io", upstream.url()).maxSize(150_000));
    awaitTrue("evicted down to the limit", () -> small.index().totalBytes() <= 150_000);
    assertTrue(!Files.exists(storedFile(digests[0])) && !Files.exists(storedFile(digests[1])),
        "the two oldest went");
    assertTrue(Files.exists(storedFile(digests[2])));
    assertWithinLimit(small);
  }

  @Test
  void anEvictedManifestTakesItsTagsAndRepositoryWithItAndLeavesTheCatalog() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()).maxSize(LIMIT));
    CacheClient client = new CacheClient(cache.address());
    byte[] manifest = TestContent.manifest(TestContent.OCI_MANIFEST, "evicted");
    String manifestDigest = upstream.manifest("library/old", "v1", TestContent.OCI_MANIFEST, manifest);
    assertEquals(200, client.get("/v2/library/old/manifests/v1").statusCode());
    Path tag = storage().resolve("repositories/docker.io/library/old/_manifests/tags/v1");
    Path type = storage().resolve("manifest-types/sha256").resolve(TestContent.hex(manifestDigest));
    assertTrue(Files.exists(tag) && Files.exists(type));
    assertEquals("docker.io/library/old", catalog(client).get(0).asText());
    Thread.sleep(20); // the manifest is now the least recently used

    for (int i = 0; i < 3; i++) {
      byte[] b = TestContent.random(SIZE, 60 + i);
      pull(cache, b, upstream.blob(REPO, b));
    }

    awaitTrue("the manifest evicted", () -> !Files.exists(storedFile(manifestDigest)));
    Path repository = storage().resolve("repositories/docker.io/library/old");
    awaitTrue("its tag and repository collected", () -> !Files.exists(repository));
    assertFalse(Files.exists(type), "its media-type file collected");
    assertEquals(0, catalog(client).size(), "nothing left to serve is listed");
    assertWithinLimit(cache);

    assertArrayEquals(manifest, client.get("/v2/library/old/manifests/v1").body(), "fetched again");
    assertEquals(2, upstream.count("GET", FakeUpstream.manifestPath("library/old", "v1")));
  }

  private static com.fasterxml.jackson.databind.JsonNode catalog(CacheClient client) {
    var r = client.get("/v2/_catalog");
    assertEquals(200, r.statusCode());
    return CacheClient.json(r.body()).path("repositories");
  }

  private static void pull(CacheApplication cache, byte[] expected, String digest)
      throws InterruptedException {
    assertArrayEquals(expected, new CacheClient(cache.address()).get("/v2/" + REPO + "/blobs/" + digest).body());
    awaitIndexed(cache, digest);
    Thread.sleep(20); // last-use times are in milliseconds
  }

  /** The index and the files on disk (blobs and the files describing them) within the limit. */
  private void assertWithinLimit(CacheApplication cache) throws IOException {
    long limit = (long) cache.metrics().registry().find("registry_cache_store_limit_bytes").gauge().value();
    awaitTrue("index within " + limit, () -> cache.index().totalBytes() <= limit);
    try (Stream<Path> files = Files.walk(storage())) {
      long onDisk = files.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).sum();
      assertTrue(onDisk <= limit, onDisk + " bytes on disk, limit " + limit);
    }
  }

  private static double evictions(CacheApplication cache) {
    return cache.metrics().registry().find("registry_cache_evictions").functionCounter().count();
  }
}
