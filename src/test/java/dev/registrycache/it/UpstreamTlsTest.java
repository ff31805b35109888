package dev.registrycache.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.config.RegistryConfig;
import dev.registrycache.config.UpstreamProxy;
import dev.registrycache.server.CacheApplication;
import dev.registrycache.testing.TestCertificates;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An https upstream whose certificate a private CA signed (for {@code 127.0.0.1} and
 * {@code registry.test}): {@code caFile} and {@code insecureSkipVerify}, per registry.
 */
class UpstreamTlsTest extends CacheTestBase {
  private static final String REPO = "library/app";

  private FakeUpstream https() throws Exception {
    return closeAfter(FakeUpstream.startHttps(TestCertificates.shared().serverContext()));
  }

  private static RegistryConfig registry(String name, String url, String caFile, Boolean insecure) {
    return new RegistryConfig(name, url, null, null, null, null, caFile, insecure);
  }

  private static String caFile() throws Exception {
    return TestCertificates.shared().caPem().toString();
  }

  private static String body(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  @Test
  void caFileMakesThePrivateCaTrustedForTheRegistryAndItsTokenService() throws Exception {
    FakeUpstream upstream = https();
    upstream.requireBearerToken();
    CacheApplication cache = start(setup().registry(registry("docker.io", upstream.url(), caFile(), null)));
    Pulls.manifestAndBlob(upstream, new CacheClient(cache.address()), REPO, 71);
    assertEquals(1, upstream.tokenRequests(), "the token service on the same host, with the same trust");
  }

  @Test
  void withoutCaFileAnUnknownCaIsRefusedAndTheAnswerSaysWhy() throws Exception {
    FakeUpstream upstream = https();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url())
        .registry(registry("quay.io", upstream.url(), caFile(), null)));
    CacheClient client = new CacheClient(cache.address());
    byte[] blob = TestContent.random(1000, 72);
    String digest = upstream.blob(REPO, blob);

    HttpResponse<byte[]> r = client.get("/v2/" + REPO + "/blobs/" + digest);
    assertEquals(503, r.statusCode(), body(r));
    assertEquals("UNAVAILABLE", CacheClient.errorCode(r.body()));
    assertTrue(body(r).contains("TLS with 127.0.0.1 failed: its certificate is not trusted"), body(r));
    assertTrue(body(r).contains("caFile"), "says what to do: " + body(r));
    assertFalse(body(r).contains("Exception") || body(r).contains("sun.security"), "written for people: " + body(r));
    assertEquals(1.0, cache.metrics().count("upstream_errors", "registry", "docker.io", "reason", "tls"));
    assertEquals(0, upstream.total(), "no request got through the handshake");

    HttpResponse<byte[]> other = client.get("/v2/" + REPO + "/blobs/" + digest + "?ns=quay.io");
    assertArrayEquals(blob, other.body(), "the registry with the caFile trusts the same server: " + body(other));
  }

  @Test
  void caFileStillChecksTheHostName() throws Exception {
    // the CA is trusted, but the certificate does not name other.test
    ForwardingProxy proxy = closeAfter(new ForwardingProxy(Map.of("other.test", "127.0.0.1")));
    FakeUpstream upstream = https();
    upstream.calledAs("other.test");
    CacheApplication cache = start(setup().registry(registry("docker.io", upstream.url(), caFile(), null))
        .proxy(new UpstreamProxy(proxy.url(), null, null)));
    String digest = upstream.blob(REPO, TestContent.random(1000, 73));

    HttpResponse<byte[]> r = new CacheClient(cache.address()).get("/v2/" + REPO + "/blobs/" + digest);
    assertEquals(503, r.statusCode(), body(r));
    assertTrue(body(r).contains("TLS with other.test failed"), body(r));
    assertEquals(1, proxy.requestLines().size(), "the tunnel was made: " + proxy.requestLines());
    assertEquals(0, upstream.total());
  }

  @Test
  void insecureSkipVerifyAcceptsAnUnknownCertificateForThatRegistryOnlyAndWarns() throws Exception {
    FakeUpstream upstream = https();
    byte[] blob = TestContent.random(2000, 74);
    String digest = upstream.blob(REPO, blob);
    String logged;
    CacheApplication cache;
    try (OutputCapture capture = new OutputCapture()) {
      cache = start(setup().registry(registry("docker.io", upstream.url(), null, true))
          .registry(registry("quay.io", upstream.url(), null, false)));
      logged = capture.text();
    }
    CacheClient client = new CacheClient(cache.address());

    HttpResponse<byte[]> r = client.get("/v2/" + REPO + "/blobs/" + digest);
    assertEquals(200, r.statusCode(), body(r));
    assertArrayEquals(blob, r.body(), "unverified, but it works");
    assertTrue(logged.contains("registry docker.io: TLS certificates are NOT verified (insecureSkipVerify)"), logged);
    assertFalse(logged.contains("registry quay.io: TLS"), logged);

    String otherDigest = upstream.blob(REPO, TestContent.random(2000, 75)); // not in the cache yet
    HttpResponse<byte[]> other = client.get("/v2/" + REPO + "/blobs/" + otherDigest + "?ns=quay.io");
    assertEquals(503, other.statusCode(), "the other registry still checks: " + body(other));
    assertTrue(body(other).contains("TLS with 127.0.0.1 failed"), body(other));
  }

  @Test
  void aCaFileThatCannotBeUsedStopsTheStart() throws Exception {
    Path notPem = Files.writeString(tmp.resolve("bad.pem"), "not a certificate\n");
    Path missing = tmp.resolve("missing.pem");
    for (Path bad : new Path[] {notPem, missing}) {
      Exception e = assertThrows(Exception.class,
          () -> start(setup().registry(registry("docker.io", "https://127.0.0.1:1", bad.toString(), null))));
      assertTrue(e.getMessage().startsWith("registry docker.io: caFile " + bad), e.getMessage());
    }
  }
}
