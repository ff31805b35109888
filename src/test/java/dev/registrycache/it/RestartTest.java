package dev.registrycache.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.server.CacheApplication;
import dev.registrycache.store.BlobIndex;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** What is cached survives a restart; what a crash left half-written does not. */
class RestartTest extends CacheTestBase {
  private static final String REPO = "library/app";

  @Test
  void aRestartedCacheServesEverythingWithoutUpstream() throws Exception {
    FakeUpstream upstream = upstream();
    byte[] index = TestContent.manifest(TestContent.OCI_INDEX, "restart");
    String indexDigest = upstream.manifest(REPO, "v1", TestContent.OCI_INDEX, index);
    byte[] blob = TestContent.random(1 << 20, 31);
    String blobDigest = upstream.blob(REPO, blob);
    CacheSetup setup = setup().registry("docker.io", upstream.url());

    try (CacheApplication first = CacheApplication.start(setup.config())) {
      CacheClient client = new CacheClient(first.address());
      assertArrayEquals(index, client.get("/v2/" + REPO + "/manifests/v1").body());
      assertArrayEquals(blob, client.get("/v2/" + REPO + "/blobs/" + blobDigest).body());
      awaitTrue("blob stored", () -> Files.exists(storedFile(blobDigest)));
    }
    Path leftover = storage().resolve("tmp").resolve("0123456789ab-crashed-download");
    Files.write(leftover, new byte[4096]);
    int asked = upstream.total();

    CacheApplication second = start(setup);
    assertFalse(Files.exists(leftover), "leftover temp file removed at start");
    assertTrue(tempFiles().isEmpty());
    assertEquals(2, second.index().count(), "index rebuilt from disk: the index manifest and the blob");
    assertEquals(index.length + blob.length
        + 5 * BlobIndex.BLOCK, // a media-type file, a tag file, the repository's three directories
        second.index().totalBytes());

    CacheClient client = new CacheClient(second.address());
    HttpResponse<byte[]> byTag = client.get("/v2/" + REPO + "/manifests/v1");
    assertEquals(200, byTag.statusCode());
    assertArrayEquals(index, byTag.body());
    assertEquals(TestContent.OCI_INDEX, byTag.headers().firstValue("Content-Type").orElse(null));
    assertEquals(indexDigest, byTag.headers().firstValue("Docker-Content-Digest").orElse(null));
    assertArrayEquals(index, client.get("/v2/" + REPO + "/manifests/" + indexDigest).body());

    HttpResponse<byte[]> b = client.get("/v2/" + REPO + "/blobs/" + blobDigest);
    assertEquals(200, b.statusCode());
    assertArrayEquals(blob, b.body());
    HttpResponse<byte[]> head = client.head("/v2/" + REPO + "/blobs/" + blobDigest);
    assertEquals(blob.length, head.headers().firstValueAsLong("Content-Length").orElse(-1));
    HttpResponse<byte[]> range = client.get("/v2/" + REPO + "/blobs/" + blobDigest, "Range", "bytes=100-199");
    assertEquals(206, range.statusCode());
    assertArrayEquals(Arrays.copyOfRange(blob, 100, 200), range.body());

    HttpResponse<byte[]> catalog = client.get("/v2/_catalog");
    assertEquals("[\"docker.io/library/app\"]", CacheClient.json(catalog.body()).get("repositories").toString());
    assertEquals(asked, upstream.total(), "no upstream request after the restart: " + upstream.requests());
    assertEquals(2.0, second.metrics().count("lookups", "kind", "blob", "result", "hit"), "GET and ranged GET");
    assertEquals(0.0, second.metrics().count("lookups", "kind", "blob", "result", "miss"));
  }

  @Test
  void strayFilesInTheStoreAreIgnoredNotServed() throws Exception {
    FakeUpstream upstream = upstream();
    Path stray = storage().resolve("blobs").resolve("sha256").resolve("ab").resolve("not-a-digest");
    Files.createDirectories(stray.getParent());
    Files.writeString(stray, "junk");
    byte[] blob = TestContent.random(100, 32);
    String digest = upstream.blob(REPO, blob);
    // a file under a digest's name whose content is something else (corruption on disk) is
    // CorruptionTest's; here: names that are no digest at all are left alone and never served
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()));
    assertEquals(0, cache.index().count());
    assertArrayEquals(blob, new CacheClient(cache.address()).get("/v2/" + REPO + "/blobs/" + digest).body());
  }
}
