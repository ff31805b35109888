package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static dev.registrycache.it.FakeUpstream.manifestPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.server.CacheApplication;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * An upstream that rate-limits, fails or cannot be reached: content the cache does not hold
 * gets a clear OCI error; a tag it holds is served stale (and counted).
 */
class UpstreamTroubleTest extends CacheTestBase {
  private static final String REPO = "library/app";

  @ParameterizedTest
  @CsvSource({"429, 429, TOOMANYREQUESTS", "500, 503, UNAVAILABLE", "503, 503, UNAVAILABLE",
      "502, 503, UNAVAILABLE"})
  void uncachedContentGetsAnOciErrorWhenUpstreamFails(int upstreamStatus, int status, String code)
      throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()));
    CacheClient client = new CacheClient(cache.address());
    byte[] blob = TestContent.random(1000, 7);
    String digest = upstream.blob(REPO, blob);
    upstream.manifest(REPO, "v1", TestContent.OCI_MANIFEST, TestContent.manifest(TestContent.OCI_MANIFEST, "t"));
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.status(upstreamStatus));
    upstream.behave(manifestPath(REPO, "v1"), UpstreamBehavior.status(upstreamStatus));

    HttpResponse<byte[]> b = client.get("/v2/" + REPO + "/blobs/" + digest);
    assertEquals(status, b.statusCode());
    assertEquals(code, CacheClient.errorCode(b.body()));
    assertEquals("application/json", b.headers().firstValue("Content-Type").orElse(null));
    HttpResponse<byte[]> m = client.get("/v2/" + REPO + "/manifests/v1");
    assertEquals(status, m.statusCode());
    assertEquals(code, CacheClient.errorCode(m.body()));
    assertNothingStored(digest);

    upstream.normal(blobPath(REPO, digest));
    upstream.normal(manifestPath(REPO, "v1"));
    assertArrayEquals(blob, client.get("/v2/" + REPO + "/blobs/" + digest).body(), "not remembered as failed");
    assertEquals(200, client.get("/v2/" + REPO + "/manifests/v1").statusCode());
  }

  @Test
  void unreachableUpstreamIsUnavailable() throws Exception {
    CacheApplication cache = start(setup().registry("docker.io", "http://127.0.0.1:" + closedPort()));
    CacheClient client = new CacheClient(cache.address());
    String digest = TestContent.sha256(new byte[] {42});

    HttpResponse<byte[]> b = client.get("/v2/" + REPO + "/blobs/" + digest);
    assertEquals(503, b.statusCode());
    assertEquals("UNAVAILABLE", CacheClient.errorCode(b.body()));
    HttpResponse<byte[]> m = client.get("/v2/" + REPO + "/manifests/latest");
    assertEquals(503, m.statusCode());
    assertEquals("UNAVAILABLE", CacheClient.errorCode(m.body()));
    HttpResponse<byte[]> head = client.head("/v2/" + REPO + "/blobs/" + digest);
    assertEquals(503, head.statusCode());
    HttpResponse<byte[]> tags = client.get("/v2/" + REPO + "/tags/list");
    assertEquals(503, tags.statusCode());
    assertEquals("UNAVAILABLE", CacheClient.errorCode(tags.body()));
    String body = new String(tags.body());
    assertTrue(!body.contains("dev.registrycache.") && !body.contains("java."), "no Java class names: " + body);
    assertNothingStored(digest);
  }

  @Test
  void anUpstreamThatNeverAnswersIsAGatewayTimeoutNotUnreachable() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url())
        .responseTimeout(Duration.ofMillis(500)).idleTimeout(Duration.ofSeconds(5)));
    CacheClient client = new CacheClient(cache.address());
    String digest = upstream.blob(REPO, TestContent.random(1000, 8));
    upstream.manifest(REPO, "v1", TestContent.OCI_MANIFEST, TestContent.manifest(TestContent.OCI_MANIFEST, "silent"));
    for (String path : new String[] {blobPath(REPO, digest), manifestPath(REPO, "v1"), "/v2/" + REPO + "/tags/list"}) {
      upstream.behave(path, UpstreamBehavior.SILENT);
    }

    HttpResponse<byte[]> m = client.get("/v2/" + REPO + "/manifests/v1");
    assertEquals(504, m.statusCode(), new String(m.body()));
    assertEquals("UNAVAILABLE", CacheClient.errorCode(m.body()));
    HttpResponse<byte[]> head = client.head("/v2/" + REPO + "/blobs/" + digest);
    assertEquals(504, head.statusCode());
    HttpResponse<byte[]> tags = client.get("/v2/" + REPO + "/tags/list");
    assertEquals(504, tags.statusCode(), new String(tags.body()));
    HttpResponse<byte[]> b = client.get("/v2/" + REPO + "/blobs/" + digest);
    assertEquals(504, b.statusCode(), new String(b.body()));
    assertEquals("UNAVAILABLE", CacheClient.errorCode(b.body()));

    assertEquals(4.0, cache.metrics().count("upstream_errors", "registry", "docker.io", "reason", "timeout"),
        "manifest, HEAD, tag list and blob");
    assertEquals(0.0, cache.metrics().count("upstream_errors", "registry", "docker.io", "reason", "unreachable"));
  }

  @ParameterizedTest
  @CsvSource({"429", "500", "503"})
  void expiredTagIsServedStaleWhenUpstreamFails(int upstreamStatus) throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()).tagTtl(Duration.ofMillis(1)));
    CacheClient client = new CacheClient(cache.address());
    byte[] manifest = TestContent.manifest(TestContent.OCI_INDEX, "stale");
    String digest = upstream.manifest(REPO, "v1", TestContent.OCI_INDEX, manifest);
    assertEquals(200, client.get("/v2/" + REPO + "/manifests/v1").statusCode());

    upstream.behave(manifestPath(REPO, "v1"), UpstreamBehavior.status(upstreamStatus));
    Thread.sleep(5);
    HttpResponse<byte[]> r = client.get("/v2/" + REPO + "/manifests/v1");
    assertEquals(200, r.statusCode());
    assertArrayEquals(manifest, r.body());
    assertEquals(digest, r.headers().firstValue("Docker-Content-Digest").orElse(null));
    assertEquals(TestContent.OCI_INDEX, r.headers().firstValue("Content-Type").orElse(null));
    assertEquals(1.0, cache.metrics().count("stale_served", "registry", "docker.io",
        "reason", Integer.toString(upstreamStatus)));
  }

  @Test
  void expiredTagIsServedStaleWhenUpstreamIsGone() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()).tagTtl(Duration.ofMillis(1)));
    CacheClient client = new CacheClient(cache.address());
    byte[] manifest = TestContent.manifest(TestContent.DOCKER_MANIFEST_LIST, "gone");
    upstream.manifest(REPO, "v1", TestContent.DOCKER_MANIFEST_LIST, manifest);
    assertEquals(200, client.get("/v2/" + REPO + "/manifests/v1").statusCode());
    upstream.close();
    Thread.sleep(5);

    for (int i = 1; i <= 2; i++) {
      HttpResponse<byte[]> r = client.get("/v2/" + REPO + "/manifests/v1");
      assertEquals(200, r.statusCode());
      assertArrayEquals(manifest, r.body());
      assertEquals(i, cache.metrics().count("stale_served", "registry", "docker.io", "reason", "unreachable"));
    }
    HttpResponse<byte[]> head = client.head("/v2/" + REPO + "/manifests/v1");
    assertEquals(200, head.statusCode());
    assertEquals(TestContent.sha256(manifest), head.headers().firstValue("Docker-Content-Digest").orElse(null));
  }

  @Test
  void expiredTagIsRevalidatedWithAHeadNotRefetched() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()).tagTtl(Duration.ofMillis(1)));
    CacheClient client = new CacheClient(cache.address());
    byte[] manifest = TestContent.manifest(TestContent.OCI_MANIFEST, "reval");
    upstream.manifest(REPO, "v1", TestContent.OCI_MANIFEST, manifest);
    client.get("/v2/" + REPO + "/manifests/v1");
    Thread.sleep(5);

    HttpResponse<byte[]> r = client.get("/v2/" + REPO + "/manifests/v1");
    assertArrayEquals(manifest, r.body());
    assertEquals(1, upstream.count("GET", manifestPath(REPO, "v1")));
    assertEquals(1, upstream.count("HEAD", manifestPath(REPO, "v1")));
    assertEquals(0.0, cache.metrics().count("stale_served", "registry", "docker.io"));

    byte[] changed = TestContent.manifest(TestContent.OCI_MANIFEST, "changed");
    upstream.manifest(REPO, "v1", TestContent.OCI_MANIFEST, changed);
    Thread.sleep(5);
    assertArrayEquals(changed, client.get("/v2/" + REPO + "/manifests/v1").body(), "tag moved upstream");
  }

  static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
