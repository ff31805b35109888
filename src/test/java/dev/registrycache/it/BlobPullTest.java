package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.server.CacheApplication;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Blobs: miss then hit, byte ranges (stored and still downloading), HEAD. */
class BlobPullTest extends CacheTestBase {
  private static final String REPO = "library/app";
  private static final int SIZE = 300_000;
  private FakeUpstream upstream;
  private CacheApplication cache;
  private CacheClient client;
  private byte[] bytes;
  private String digest;
  private String target;

  @BeforeEach
  void startCache() throws Exception {
    upstream = upstream();
    cache = start(setup().registry("docker.io", upstream.url()));
    client = new CacheClient(cache.address());
    bytes = TestContent.random(SIZE, 2);
    digest = upstream.blob(REPO, bytes);
    target = "/v2/" + REPO + "/blobs/" + digest;
  }

  @Test
  void missThenHitServesTheSameBytesAndHeaders() throws Exception {
    for (int i = 0; i < 2; i++) {
      HttpResponse<byte[]> r = client.get(target);
      assertEquals(200, r.statusCode());
      assertEquals(digest, TestContent.sha256(r.body()));
      assertBlobHeaders(r, SIZE);
      awaitIndexed(cache, digest);
    }
    assertEquals(1, upstream.count("GET", blobPath(REPO, digest)));
    assertEquals(1.0, cache.metrics().count("lookups", "kind", "blob", "result", "miss"));
    assertEquals(1.0, cache.metrics().count("lookups", "kind", "blob", "result", "hit"));
    assertArrayEquals(bytes, Files.readAllBytes(storedFile(digest)));
    assertTrue(tempFiles().isEmpty());
  }

  @Test
  void rangesOfAStoredBlob() {
    client.get(target);
    awaitIndexed(cache, digest);

    HttpResponse<byte[]> open = client.get(target, "Range", "bytes=1000-");
    assertEquals(206, open.statusCode());
    assertEquals("bytes 1000-" + (SIZE - 1) + "/" + SIZE, header(open, "Content-Range"));
    assertEquals(SIZE - 1000, open.headers().firstValueAsLong("Content-Length").orElse(-1));
    assertArrayEquals(Arrays.copyOfRange(bytes, 1000, SIZE), open.body());

    HttpResponse<byte[]> closed = client.get(target, "Range", "bytes=10-19");
    assertEquals(206, closed.statusCode());
    assertEquals("bytes 10-19/" + SIZE, header(closed, "Content-Range"));
    assertArrayEquals(Arrays.copyOfRange(bytes, 10, 20), closed.body());
    assertEquals(digest, header(closed, "Docker-Content-Digest"));

    HttpResponse<byte[]> unsatisfiable = client.get(target, "Range", "bytes=" + SIZE + "-");
    assertEquals(416, unsatisfiable.statusCode());
    assertEquals("bytes */" + SIZE, header(unsatisfiable, "Content-Range"));
    assertEquals("RANGE_INVALID", CacheClient.errorCode(unsatisfiable.body()));

    assertEquals(1, upstream.count("GET", blobPath(REPO, digest)));
  }

  @Test
  void rangeOfABlobStillDownloadingIsServedFromTheGrowingFile() {
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.throttled(32 * 1024, Duration.ofMillis(20)));

    HttpResponse<byte[]> r = client.get(target, "Range", "bytes=5000-5999");
    assertEquals(206, r.statusCode());
    assertEquals("bytes 5000-5999/" + SIZE, header(r, "Content-Range"));
    assertArrayEquals(Arrays.copyOfRange(bytes, 5000, 6000), r.body());

    HttpResponse<byte[]> unsatisfiable = client.get("/v2/" + REPO + "/blobs/" + upstream.blob(REPO,
        TestContent.random(100, 3)), "Range", "bytes=100-");
    assertEquals(416, unsatisfiable.statusCode());
    assertEquals("bytes */100", header(unsatisfiable, "Content-Range"));
  }

  @Test
  void headOfAStoredBlobHasTheHeadersAndNoBody() throws Exception {
    client.get(target);
    awaitIndexed(cache, digest);
    int before = upstream.total();

    HttpResponse<byte[]> head = client.head(target);
    assertEquals(200, head.statusCode());
    assertEquals(0, head.body().length);
    assertBlobHeaders(head, SIZE);
    assertEquals(before, upstream.total(), "HEAD of a cached blob stays local");

    RawHttp.Response raw = RawHttp.exchange(cache.address(), "HEAD", target, Duration.ofSeconds(10));
    assertEquals(200, raw.status());
    assertEquals(Integer.toString(SIZE), raw.header("Content-Length"));
  }

  @Test
  void headOfAnUncachedBlobAsksUpstreamAndDownloadsNothing() {
    HttpResponse<byte[]> head = client.head(target);
    assertEquals(200, head.statusCode());
    assertEquals(0, head.body().length);
    assertBlobHeaders(head, SIZE);
    assertEquals(1, upstream.count("HEAD", blobPath(REPO, digest)));
    assertEquals(0, upstream.count("GET", blobPath(REPO, digest)));
    assertTrue(!Files.exists(storedFile(digest)));

    String unknown = TestContent.sha256(new byte[] {1});
    HttpResponse<byte[]> missing = client.head("/v2/" + REPO + "/blobs/" + unknown);
    assertEquals(404, missing.statusCode());
    HttpResponse<byte[]> missingGet = client.get("/v2/" + REPO + "/blobs/" + unknown);
    assertEquals(404, missingGet.statusCode());
    assertEquals("BLOB_UNKNOWN", CacheClient.errorCode(missingGet.body()));
  }

  private void assertBlobHeaders(HttpResponse<byte[]> r, long length) {
    assertEquals("application/octet-stream", header(r, "Content-Type"));
    assertEquals(digest, header(r, "Docker-Content-Digest"));
    assertEquals("\"" + digest + "\"", header(r, "ETag"));
    assertEquals(length, r.headers().firstValueAsLong("Content-Length").orElse(-1));
  }

  private static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }
}
