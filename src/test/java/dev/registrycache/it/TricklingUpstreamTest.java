package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static dev.registrycache.it.FakeUpstream.manifestPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.config.MinSpeed;
import dev.registrycache.server.CacheApplication;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An upstream that is not silent but sends a few bytes now and then: the idle timeout never
 * fires, so a floor on the speed (blobs) and a deadline for the whole answer (manifests) give
 * it up, and the next pull starts afresh instead of joining the stuck one.
 */
class TricklingUpstreamTest extends CacheTestBase {
  private static final String REPO = "library/app";
  private static final Duration CLIENT_WAIT = Duration.ofSeconds(15);
  private FakeUpstream upstream;
  private CacheApplication cache;

  @BeforeEach
  void startCache() throws Exception {
    upstream = upstream();
    cache = start(setup().registry("docker.io", upstream.url())
        .minSpeed(new MinSpeed(64 * 1024, Duration.ofSeconds(1)))
        .responseTimeout(Duration.ofSeconds(1)).idleTimeout(Duration.ofSeconds(10)));
  }

  @Test
  void aBlobTrickledBelowTheFloorIsGivenUpAndFetchedAfreshNextTime() throws Exception {
    byte[] bytes = TestContent.random(256 * 1024, 21);
    String digest = upstream.blob(REPO, bytes);
    String target = "/v2/" + REPO + "/blobs/" + digest;
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.throttled(512, Duration.ofMillis(100))); // 5 KiB/s

    long t0 = System.nanoTime();
    RawHttp.Response r = RawHttp.get(cache.address(), target, CLIENT_WAIT);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(200, r.status());
    assertTrue(r.closedEarly() && r.body().length < bytes.length, "cut short, not completed");
    assertArrayEquals(Arrays.copyOf(bytes, r.body().length), r.body(), "what came is the blob's start");
    assertTrue(ms < 5000, "given up after the 1 s window, not after " + ms + " ms");
    assertEquals(1.0, cache.metrics().count("upstream_errors", "registry", "docker.io", "reason", "slow"));
    assertFetchedAfreshAfterGivingUp(cache, upstream, REPO, digest, bytes);
  }

  @Test
  void aBlobSlowButAboveTheFloorIsKept() throws Exception {
    byte[] bytes = TestContent.random(512 * 1024, 22);
    String digest = upstream.blob(REPO, bytes);
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.throttled(64 * 1024, Duration.ofMillis(250))); // 256 KiB/s

    RawHttp.Response r = RawHttp.get(cache.address(), "/v2/" + REPO + "/blobs/" + digest, CLIENT_WAIT);
    assertEquals(200, r.status());
    assertArrayEquals(bytes, r.body());
    assertEquals(0.0, cache.metrics().count("upstream_errors", "registry", "docker.io", "reason", "slow"));
    awaitIndexed(cache, digest);
  }

  @Test
  void aManifestTrickledPastTheResponseTimeoutIsAGatewayTimeoutAndFetchedAfreshNextTime() throws Exception {
    byte[] manifest = TestContent.manifest(TestContent.OCI_MANIFEST, "trickle");
    upstream.manifest(REPO, "v1", TestContent.OCI_MANIFEST, manifest);
    upstream.behave(manifestPath(REPO, "v1"), UpstreamBehavior.throttled(4, Duration.ofMillis(100))); // 40 B/s
    CacheClient client = new CacheClient(cache.address());

    long t0 = System.nanoTime();
    HttpResponse<byte[]> r = client.get("/v2/" + REPO + "/manifests/v1");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(504, r.statusCode(), new String(r.body()));
    assertEquals("UNAVAILABLE", CacheClient.errorCode(r.body()));
    assertTrue(new String(r.body()).contains("did not send its whole answer in time"), new String(r.body()));
    assertTrue(ms < 4000, "given up after the 1 s response timeout, not after " + ms + " ms");
    assertEquals(1.0, cache.metrics().count("upstream_errors", "registry", "docker.io", "reason", "timeout"));
    assertFalse(new String(r.body()).contains("java."), "no Java internals");

    upstream.normal(manifestPath(REPO, "v1"));
    HttpResponse<byte[]> again = client.get("/v2/" + REPO + "/manifests/v1");
    assertEquals(200, again.statusCode());
    assertArrayEquals(manifest, again.body());
    assertEquals(2, upstream.count("GET", manifestPath(REPO, "v1")));
  }
}
