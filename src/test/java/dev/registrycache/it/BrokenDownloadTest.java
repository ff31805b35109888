package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static dev.registrycache.it.FakeUpstream.manifestPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.server.CacheApplication;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Downloads that go wrong after upstream said 200: broken off, wrong content, stalled. The
 * client must see a short body (never a complete wrong one), nothing may be stored, no temp
 * file may stay behind, and the next request must fetch again.
 */
class BrokenDownloadTest extends CacheTestBase {
  private static final String REPO = "library/app";
  private static final int SIZE = 256 * 1024;
  private static final Duration CLIENT_WAIT = Duration.ofSeconds(15);
  private FakeUpstream upstream;
  private CacheApplication cache;
  private byte[] bytes;
  private String digest;
  private String target;

  @BeforeEach
  void startCache() throws Exception {
    upstream = upstream();
    cache = start(setup().registry("docker.io", upstream.url()).idleTimeout(Duration.ofSeconds(1)));
    bytes = TestContent.random(SIZE, 4);
    digest = upstream.blob(REPO, bytes);
    target = "/v2/" + REPO + "/blobs/" + digest;
  }

  @Test
  void upstreamFailingMidBlobTruncatesTheClientAndStoresNothing() throws Exception {
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.FAIL_MID_BODY);

    RawHttp.Response r = RawHttp.get(cache.address(), target, CLIENT_WAIT);
    assertTruncatedPrefix(r, bytes);
    assertNothingStored(digest);
    awaitTrue("download given up", () -> cache.metrics().registry()
        .find("registry_cache_downloads_in_flight").gauge().value() == 0);

    upstream.normal(blobPath(REPO, digest));
    RawHttp.Response again = RawHttp.get(cache.address(), target, CLIENT_WAIT);
    assertEquals(200, again.status());
    assertTrue(again.complete());
    assertArrayEquals(bytes, again.body());
    assertEquals(2, upstream.count("GET", blobPath(REPO, digest)), "fetched again");
    awaitTrue("stored after the good download", () -> Files.exists(storedFile(digest)));
    assertTrue(tempFiles().isEmpty());
  }

  @Test
  void aRetryRightAfterAFailureFetchesAgainInsteadOfRepeatingTheFailure() throws Exception {
    // the retry races the clean-up of the failed download: several rounds to catch it
    for (int round = 0; round < 10; round++) {
      byte[] b = TestContent.random(64 * 1024, 100 + round);
      String d = upstream.blob(REPO, b);
      String t = "/v2/" + REPO + "/blobs/" + d;
      upstream.behave(blobPath(REPO, d), UpstreamBehavior.FAIL_MID_BODY);
      assertTruncatedPrefix(RawHttp.get(cache.address(), t, CLIENT_WAIT), b);

      upstream.normal(blobPath(REPO, d));
      RawHttp.Response again = RawHttp.get(cache.address(), t, CLIENT_WAIT);
      assertEquals(200, again.status(), "round " + round + ": " + new String(again.body()));
      assertArrayEquals(b, again.body());
    }
  }

  @Test
  void wrongContentIsNeverDeliveredCompleteNorStored() throws Exception {
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.WRONG_CONTENT);

    RawHttp.Response r = RawHttp.get(cache.address(), target, CLIENT_WAIT);
    assertBrokenOff(r, bytes);
    assertTrue(r.body().length <= SIZE - 1, "the last byte is withheld until verified");
    assertNothingStored(digest);
    awaitTrue("mismatch counted", () ->
        cache.metrics().count("digest_mismatches", "registry", "docker.io") == 1.0);

    upstream.normal(blobPath(REPO, digest));
    RawHttp.Response again = RawHttp.get(cache.address(), target, CLIENT_WAIT);
    assertEquals(200, again.status());
    assertArrayEquals(bytes, again.body());
  }

  @Test
  void wrongContentStreamedToManyClientsReachesNoneOfThemComplete() throws Exception {
    byte[] big = TestContent.random(2 << 20, 5);
    String bigDigest = upstream.blob(REPO, big);
    upstream.behave(blobPath(REPO, bigDigest), reply ->
        UpstreamBehavior.throttled(128 * 1024, Duration.ofMillis(15)).respond(
            new UpstreamBehavior.Reply(reply.exchange(), corrupt(reply.body()), reply.contentType(),
                reply.digest(), reply.head(), reply.closing())));
    String bigTarget = "/v2/" + REPO + "/blobs/" + bigDigest;
    CacheClient client = new CacheClient(cache.address());

    ExecutorService readers = Executors.newFixedThreadPool(3);
    closeAfter(readers::shutdownNow);
    List<Future<Long>> streamed = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      HttpResponse<InputStream> s = CacheClient.await(client.stream(bigTarget));
      closeAfter(s.body());
      assertEquals(200, s.statusCode());
      streamed.add(readers.submit(() -> drain(s.body())));
    }
    RawHttp.Response r = RawHttp.get(cache.address(), bigTarget, CLIENT_WAIT);
    assertBrokenOff(r, big);
    for (Future<Long> f : streamed) {
      assertTrue(f.get(CLIENT_WAIT.toMillis(), TimeUnit.MILLISECONDS) < big.length, "short body");
    }
    assertNothingStored(bigDigest);
    awaitTrue("mismatch counted", () ->
        cache.metrics().count("digest_mismatches", "registry", "docker.io") == 1.0);
    assertEquals(1, upstream.count("GET", blobPath(REPO, bigDigest)));
  }

  @Test
  void stalledUpstreamIsCancelledAfterTheIdleTimeout() throws Exception {
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.STALL);

    long t0 = System.nanoTime();
    RawHttp.Response r = RawHttp.get(cache.address(), target, CLIENT_WAIT);
    long waited = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(200, r.status(), "half the blob was streamed before the stall");
    assertTruncatedPrefix(r, bytes);
    assertTrue(waited >= 900 && waited < 8000, "connection ended after the 1 s idle timeout, not " + waited + " ms");
    assertNothingStored(digest);
    assertEquals(1.0, cache.metrics().count("upstream_errors", "registry", "docker.io", "reason", "stalled"));

    upstream.normal(blobPath(REPO, digest));
    RawHttp.Response again = RawHttp.get(cache.address(), target, CLIENT_WAIT);
    assertEquals(200, again.status());
    assertArrayEquals(bytes, again.body());
  }

  @Test
  void upstreamStallingBeforeTheFirstByteStillGivesTheClientAStartedAnswer() throws Exception {
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.stallAfter(0));

    long t0 = System.nanoTime();
    RawHttp.Response r = RawHttp.get(cache.address(), target, CLIENT_WAIT);
    long waited = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(200, r.status(), "headers sent as soon as upstream's arrived");
    assertEquals(digest, r.header("Docker-Content-Digest"));
    assertEquals(0, r.body().length);
    assertTrue(r.closedEarly());
    assertTrue(waited >= 900 && waited < 8000, "ended by the 1 s idle timeout, not after " + waited + " ms");
    assertNothingStored(digest);
  }

  @Test
  void upstreamSilentBeforeItsAnswerIsGivenUpAfterTheIdleTimeoutNotTheResponseTimeout()
      throws Exception {
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.SILENT);

    long t0 = System.nanoTime();
    RawHttp.Response r = RawHttp.get(cache.address(), target, CLIENT_WAIT);
    long waited = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(504, r.status(), new String(r.body()));
    assertEquals("UNAVAILABLE", CacheClient.errorCode(r.body()));
    assertTrue(r.complete(), "a whole error answer");
    assertTrue(waited >= 900 && waited < 5000,
        "given up after the 1 s idle timeout, not the 10 s response timeout: " + waited + " ms");
    assertEquals(1.0, cache.metrics().count("upstream_errors", "registry", "docker.io", "reason", "stalled"));
    assertFetchedAfreshAfterGivingUp(cache, upstream, REPO, digest, bytes);
  }

  @Test
  void manifestWithWrongContentForItsDigestIsRefused() {
    byte[] manifest = TestContent.manifest(TestContent.OCI_MANIFEST, "wrong");
    String manifestDigest = upstream.manifest(REPO, "v1", TestContent.OCI_MANIFEST, manifest);
    upstream.behave(manifestPath(REPO, manifestDigest), UpstreamBehavior.WRONG_CONTENT);
    CacheClient client = new CacheClient(cache.address());

    HttpResponse<byte[]> r = client.get("/v2/" + REPO + "/manifests/" + manifestDigest);
    assertTrue(r.statusCode() >= 500, "status " + r.statusCode());
    assertEquals("DIGEST_INVALID", CacheClient.errorCode(r.body()));
    assertEquals(1.0, cache.metrics().count("digest_mismatches", "registry", "docker.io"));
    assertFalse(Files.exists(storedFile(manifestDigest)));
  }

  /**
   * The client learnt that the download failed: an OCI error when it failed before the answer
   * started, else a 200 with the blob's length that was cut short.
   */
  private static void assertBrokenOff(RawHttp.Response r, byte[] expected) {
    if (r.status() != 200) {
      assertTrue(r.status() >= 500, "status " + r.status());
      assertTrue(r.complete(), "an error answer is whole");
      assertTrue(CacheClient.errorCode(r.body()) != null);
      return;
    }
    assertEquals(expected.length, r.declaredLength());
    assertTrue(r.closedEarly(), "connection closed before the whole body");
    assertFalse(r.complete());
    assertTrue(r.body().length < expected.length);
  }

  /** Broken off, and whatever blob bytes did arrive are the start of the real blob. */
  private static void assertTruncatedPrefix(RawHttp.Response r, byte[] expected) {
    assertBrokenOff(r, expected);
    if (r.status() == 200) {
      assertArrayEquals(Arrays.copyOf(expected, r.body().length), r.body());
    }
  }

  /** Reads to the end; returns how many bytes came before the end or the error. */
  private static long drain(InputStream in) {
    long n = 0;
    byte[] buf = new byte[65536];
    try {
      for (int k = in.read(buf); k >= 0; k = in.read(buf)) {
        n += k;
      }
    } catch (IOException expected) {
      // a truncated body: the cache closed the connection
    }
    return n;
  }

  private static byte[] corrupt(byte[] b) {
    byte[] c = b.clone();
    c[c.length / 3] ^= 0x01;
    return c;
  }
}
