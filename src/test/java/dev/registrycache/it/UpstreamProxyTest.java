package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static dev.registrycache.it.FakeUpstream.manifestPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.config.RegistryConfig;
import dev.registrycache.config.UpstreamProxy;
import dev.registrycache.server.CacheApplication;
import dev.registrycache.testing.TestCertificates;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Upstreams behind a corporate proxy. The upstream is called {@code registry.test}, a name only
 * the proxy can resolve: a pull that works went through the proxy, and one that went direct
 * fails on the name.
 */
class UpstreamProxyTest extends CacheTestBase {
  private static final String NAME = "registry.test";
  private static final String REPO = "library/app";
  /** Where the proxy finds the hosts of these tests (192.0.2.10 is a documentation address). */
  private static final Map<String, String> PROXY_HOSTS = Map.of(NAME, "127.0.0.1", "auth.test", "127.0.0.1",
      "storage.test", "127.0.0.1", "192.0.2.10", "127.0.0.1", "other.test", "127.0.0.1");

  private ForwardingProxy proxy() throws Exception {
    return closeAfter(new ForwardingProxy(PROXY_HOSTS));
  }

  private FakeUpstream named(FakeUpstream u) {
    u.calledAs(NAME);
    return u;
  }

  private FakeUpstream https() throws Exception {
    return closeAfter(FakeUpstream.startHttps(TestCertificates.shared().serverContext()));
  }

  private static RegistryConfig trustingTestCa(String url) throws Exception {
    return new RegistryConfig("docker.io", url, null, null, null, null,
        TestCertificates.shared().caPem().toString(), null);
  }

  private static String body(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  @Test
  void plainHttpUpstreamIsForwardedInAbsoluteFormThroughTheHttpProxy() throws Exception {
    ForwardingProxy proxy = proxy();
    ForwardingProxy httpsOnly = proxy();
    FakeUpstream upstream = named(upstream());
    CacheApplication cache = start(setup().registry("docker.io", upstream.url())
        .proxy(new UpstreamProxy(httpsOnly.url(), proxy.url(), "other.example,.example.com")));
    String digest = Pulls.manifestAndBlob(upstream, new CacheClient(cache.address()), REPO, 91);

    List<String> lines = proxy.requestLines();
    assertTrue(lines.contains("GET " + upstream.url() + manifestPath(REPO, "v1") + " HTTP/1.1"), lines.toString());
    assertTrue(lines.contains("GET " + upstream.url() + blobPath(REPO, digest) + " HTTP/1.1"), lines.toString());
    assertEquals(2, upstream.total(), "the proxy forwarded both: " + upstream.requests());
    assertEquals(NAME + ":" + upstream.port(), upstream.requests().get(0).header("Host"));
    assertEquals(List.of(), httpsOnly.requestLines(), "the https proxy is for https upstreams");
  }

  @Test
  void httpsUpstreamIsTunnelledWithConnectAndSoIsItsTokenService() throws Exception {
    ForwardingProxy proxy = proxy();
    ForwardingProxy httpOnly = proxy();
    FakeUpstream upstream = named(https());
    upstream.requireBearerToken();
    upstream.tokenServiceCalled("auth.test"); // as Docker Hub's realm is auth.docker.io
    CacheApplication cache = start(setup().registry(trustingTestCa(upstream.url()))
        .proxy(new UpstreamProxy(proxy.url(), httpOnly.url(), null)));
    String digest = Pulls.manifestAndBlob(upstream, new CacheClient(cache.address()), REPO, 92);

    Set<String> lines = new TreeSet<>(proxy.requestLines());
    assertEquals(new TreeSet<>(List.of("CONNECT auth.test:" + upstream.port() + " HTTP/1.1",
        "CONNECT " + NAME + ":" + upstream.port() + " HTTP/1.1")), lines,
        "only tunnels, to the registry and its token service: " + proxy.requestLines());
    assertEquals(1, upstream.tokenRequests(), "one token for the repository, fetched through the tunnel");
    assertEquals("auth.test:" + upstream.port(), upstream.requestsTo("/token").get(0).header("Host"));
    for (String path : List.of(manifestPath(REPO, "v1"), blobPath(REPO, digest))) {
      assertTrue(upstream.requestsTo(path).stream().anyMatch(r -> "Bearer tok-1".equals(r.header("Authorization"))),
          path + " fetched with the token");
    }
    assertEquals(List.of(), httpOnly.requestLines(), "the http proxy is for plain-http upstreams");
  }

  @Test
  void aRedirectToBlobStorageIsTunnelledToo() throws Exception {
    ForwardingProxy proxy = proxy();
    FakeUpstream upstream = named(https());
    FakeUpstream storage = https();
    storage.calledAs("storage.test");
    CacheApplication cache = start(setup().registry(trustingTestCa(upstream.url()))
        .proxy(new UpstreamProxy(proxy.url(), null, null)));
    byte[] blob = TestContent.random(80_000, 93);
    String digest = upstream.blob(REPO, blob);
    storage.raw("/blobs/b1", blob);
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.redirect(storage.url() + "/blobs/b1?sig=x"));

    HttpResponse<byte[]> r = new CacheClient(cache.address()).get("/v2/" + REPO + "/blobs/" + digest);
    assertEquals(200, r.statusCode(), body(r));
    assertArrayEquals(blob, r.body());
    assertTrue(proxy.requestLines().contains("CONNECT storage.test:" + storage.port() + " HTTP/1.1"),
        proxy.requestLines().toString());
    assertEquals(1, storage.count("GET", "/blobs/b1"));
  }

  /**
   * Through the tunnel the certificate must still name the host the cache asked for;
   * {@code insecureSkipVerify} alone turns that off.
   */
  @Test
  void throughTheTunnelTheCertificateMustNameTheHostUnlessChecksAreOff() throws Exception {
    ForwardingProxy proxy = proxy();
    FakeUpstream upstream = https();
    upstream.calledAs("other.test"); // not a name in the test certificate
    byte[] blob = TestContent.random(70_000, 104);
    String digest = upstream.blob(REPO, blob);
    UpstreamProxy viaProxy = new UpstreamProxy(proxy.url(), null, null);
    String url = "https://other.test:" + upstream.port();

    CacheApplication checked = start(setup().registry(trustingTestCa(url)).proxy(viaProxy));
    HttpResponse<byte[]> refused = new CacheClient(checked.address()).get("/v2/" + REPO + "/blobs/" + digest);
    assertEquals(503, refused.statusCode(), body(refused));
    assertTrue(body(refused).contains("certificate is not valid for other.test"), body(refused));
    assertEquals(0, upstream.total(), "nothing got through the handshake");
    assertTrue(proxy.requestLines().contains("CONNECT other.test:" + upstream.port() + " HTTP/1.1"));

    CacheApplication unchecked = start(new CacheSetup(tmp.resolve("unchecked"))
        .registry(new RegistryConfig("docker.io", url, null, null, null, null, null, true)).proxy(viaProxy));
    HttpResponse<byte[]> anyway = new CacheClient(unchecked.address()).get("/v2/" + REPO + "/blobs/" + digest);
    assertEquals(200, anyway.statusCode(), body(anyway));
    assertArrayEquals(blob, anyway.body());
  }

  /** Each of these {@code NO_PROXY} lists names {@code registry.test} (on any port). */
  @ParameterizedTest
  @ValueSource(strings = {"*", NAME, "REGISTRY.TEST", ".test", "*.test", "test", ".registry.test",
      " other.example , registry.test ", "10.0.0.0/8,registry.test"})
  void noProxyListsThatNameTheHostSendItsRequestsDirect(String noProxy) throws Exception {
    ForwardingProxy proxy = proxy();
    FakeUpstream upstream = named(upstream());
    CacheApplication cache = start(setup().registry("docker.io", upstream.url())
        .proxy(new UpstreamProxy(proxy.url(), proxy.url(), noProxy)));
    String digest = upstream.blob(REPO, TestContent.random(1000, 94));

    HttpResponse<byte[]> r = new CacheClient(cache.address()).get("/v2/" + REPO + "/blobs/" + digest);
    assertEquals(503, r.statusCode(), "direct, and " + NAME + " resolves only at the proxy: " + body(r));
    assertTrue(body(r).contains("docker.io: unknown host " + NAME), body(r));
    assertEquals(List.of(), proxy.requestLines(), "NO_PROXY kept the request away from the proxy");
    assertEquals(0, upstream.total());
  }

  /** None of these {@code NO_PROXY} lists names {@code registry.test}. */
  @ParameterizedTest
  @ValueSource(strings = {"", "istry.test", "other.test", "registry.test.example", "registry", "sub.registry.test",
      "127.0.0.1", "192.0.2.0/24", ","})
  void noProxyListsThatDoNotNameTheHostLeaveItBehindTheProxy(String noProxy) throws Exception {
    ForwardingProxy proxy = proxy();
    FakeUpstream upstream = named(upstream());
    CacheApplication cache = start(setup().registry("docker.io", upstream.url())
        .proxy(new UpstreamProxy(proxy.url(), proxy.url(), noProxy)));
    byte[] blob = TestContent.random(1000, 95);
    String digest = upstream.blob(REPO, blob);

    HttpResponse<byte[]> r = new CacheClient(cache.address()).get("/v2/" + REPO + "/blobs/" + digest);
    assertEquals(200, r.statusCode(), body(r));
    assertArrayEquals(blob, r.body());
    assertEquals(1, proxy.requestLines().size(), proxy.requestLines().toString());
  }

  @Test
  void noProxyMatchesAddressesAndNetworksOfUpstreamsNamedByAddress() throws Exception {
    ForwardingProxy proxy = proxy();
    FakeUpstream upstream = upstream();
    upstream.calledAs("192.0.2.10"); // an address only the proxy reaches (here: its own loopback)
    byte[] blob = TestContent.random(1000, 96);
    String digest = upstream.blob(REPO, blob);
    String target = "/v2/" + REPO + "/blobs/" + digest;

    int caches = 0;
    for (String other : new String[] {"192.0.2.11", "192.0.2.0/32", "198.51.100.0/24", "192.0.2.10:1"}) {
      CacheApplication cache = start(new CacheSetup(tmp.resolve("cache" + caches++)).registry("docker.io", upstream.url())
          .proxy(new UpstreamProxy(null, proxy.url(), other)));
      assertArrayEquals(blob, new CacheClient(cache.address()).get(target).body(), "NO_PROXY=" + other);
    }
    assertEquals(4, proxy.requestLines().size(), proxy.requestLines().toString());

    for (String same : new String[] {"192.0.2.10", "192.0.2.0/24", "192.0.0.0/8", "192.0.2.10:" + upstream.port()}) {
      CacheApplication cache = start(new CacheSetup(tmp.resolve("cache" + caches++)).registry("docker.io", upstream.url())
          .proxy(new UpstreamProxy(null, proxy.url(), same)).connectTimeout(Duration.ofMillis(300)));
      HttpResponse<byte[]> r = new CacheClient(cache.address()).get(target);
      assertEquals(504, r.statusCode(), "NO_PROXY=" + same + ": direct to an address nothing answers (connect timeout): " + body(r));
    }
    assertEquals(4, proxy.requestLines().size(), "nothing more through the proxy: " + proxy.requestLines());
    assertEquals(4, upstream.total());
  }

  @Test
  void aProxyThatCannotBeReachedOrCannotReachTheUpstreamIsNamedInTheAnswer() throws Exception {
    ForwardingProxy proxy = closeAfter(new ForwardingProxy(Map.of())); // reaches nothing: answers 502
    FakeUpstream upstream = named(https());
    String digest = upstream.blob(REPO, TestContent.random(1000, 101));
    String closed = "127.0.0.1:" + UpstreamTroubleTest.closedPort();
    CacheApplication cache = start(setup().registry(trustingTestCa(upstream.url()))
        .proxy(new UpstreamProxy(proxy.url(), null, null)));
    CacheApplication unreachableProxy = start(new CacheSetup(tmp.resolve("other")).registry(trustingTestCa(upstream.url()))
        .proxy(new UpstreamProxy("http://user:pw-secret@" + closed, null, null)));

    HttpResponse<byte[]> refused = new CacheClient(cache.address()).get("/v2/" + REPO + "/blobs/" + digest);
    assertEquals(503, refused.statusCode(), body(refused));
    assertTrue(body(refused).contains("docker.io: the proxy 127.0.0.1:" + proxy.port() + " did not open a tunnel to "
        + NAME + " (it answered 502)"), body(refused));
    assertTrue(proxy.requestLines().contains("CONNECT " + NAME + ":" + upstream.port() + " HTTP/1.1"));

    HttpResponse<byte[]> down = new CacheClient(unreachableProxy.address()).get("/v2/" + REPO + "/blobs/" + digest);
    assertEquals(503, down.statusCode(), body(down));
    assertEquals("{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"docker.io: cannot connect to the proxy " + closed
        + " (for https://" + NAME + ":" + upstream.port() + ")\"}]}", body(down).strip());
  }

  @Test
  void aProxyThatAsksForCredentialsIsReportedAsSuch() throws Exception {
    ForwardingProxy proxy = proxy();
    proxy.requireCredentials();
    FakeUpstream secure = named(https());
    FakeUpstream plain = named(upstream());
    CacheApplication cache = start(setup().registry(trustingTestCa(secure.url())).registry("quay.io", plain.url())
        .proxy(new UpstreamProxy(proxy.url(), proxy.url(), null)));
    CacheClient client = new CacheClient(cache.address());
    String digest = secure.blob(REPO, TestContent.random(1000, 102));
    String other = plain.blob(REPO, TestContent.random(1000, 103));

    for (HttpResponse<byte[]> r : List.of(client.get("/v2/" + REPO + "/blobs/" + digest),
        client.get("/v2/" + REPO + "/blobs/" + other + "?ns=quay.io"))) {
      assertEquals(503, r.statusCode(), body(r));
      assertTrue(body(r).contains(": the proxy 127.0.0.1:" + proxy.port()
          + " asks for credentials (407): none configured, or refused"), body(r));
    }
    assertEquals(List.of("CONNECT " + NAME + ":" + secure.port() + " HTTP/1.1",
        "GET " + plain.url() + blobPath(REPO, other) + " HTTP/1.1"), proxy.requestLines());
  }

  /**
   * A proxy that wants a login gets it from {@code username} and {@code passwordFile}, on the
   * {@code CONNECT} of a tunnel and on every plain-http request through it; the file is read
   * again for the next connection or request, so a rotated Secret needs no restart. The
   * credentials never reach the upstream.
   */
  @Test
  void aProxyThatAsksForALoginGetsItFromThePasswordFileReadAtEveryUse() throws Exception {
    ForwardingProxy proxy = proxy();
    proxy.requireCredentials("squid", "pw-1");
    FakeUpstream secure = named(https());
    FakeUpstream plain = named(upstream());
    java.nio.file.Path file = java.nio.file.Files.createTempFile(tmp, "proxy", ".password");
    java.nio.file.Files.writeString(file, "pw-1\n");
    CacheApplication cache = start(setup().registry(trustingTestCa(secure.url())).registry("quay.io", plain.url())
        .proxy(new UpstreamProxy(proxy.url(), proxy.url(), null, "squid", file.toString())));
    CacheClient client = new CacheClient(cache.address());
    String tunnelled = secure.blob(REPO, TestContent.random(1000, 104));
    String forwarded = plain.blob(REPO, TestContent.random(1000, 105));
    assertEquals(200, client.get("/v2/" + REPO + "/blobs/" + tunnelled).statusCode());
    assertEquals(200, client.get("/v2/" + REPO + "/blobs/" + forwarded + "?ns=quay.io").statusCode());

    proxy.requireCredentials("squid", "pw-2");
    java.nio.file.Files.writeString(file, "pw-2\n");
    String next = plain.blob(REPO, TestContent.random(1000, 106));
    assertEquals(200, client.get("/v2/" + REPO + "/blobs/" + next + "?ns=quay.io").statusCode(),
        "the rotated password, without a restart");
    assertTrue(plain.requests().stream().allMatch(r -> r.header("Proxy-Authorization") == null),
        "the login stays with the proxy");
    assertTrue(proxy.authorizations().stream().noneMatch(String::isEmpty), "every request carried the login");
  }

  @Test
  void aLoginInTheProxysUrlWorksToo() throws Exception {
    ForwardingProxy proxy = proxy();
    proxy.requireCredentials("corp user", "p@ss:word");
    FakeUpstream plain = named(upstream());
    String url = "http://corp%20user:p%40ss%3Aword@127.0.0.1:" + proxy.port();
    CacheApplication cache = start(setup().registry("docker.io", plain.url()).proxy(new UpstreamProxy(url, url, null)));
    String digest = plain.blob(REPO, TestContent.random(1000, 107));
    assertEquals(200, new CacheClient(cache.address()).get("/v2/" + REPO + "/blobs/" + digest).statusCode());
    assertFalse(new UpstreamProxy(url, url, null).toString().contains("p%40ss"), "never printed");
  }

  @Test
  void loopbackUpstreamsNeverUseTheProxy() throws Exception {
    ForwardingProxy proxy = proxy();
    FakeUpstream plain = upstream(); // http://127.0.0.1:PORT
    FakeUpstream secure = https(); // https://127.0.0.1:PORT
    FakeUpstream local = upstream();
    local.calledAs("localhost");
    CacheApplication cache = start(setup().registry("docker.io", plain.url())
        .registry(new RegistryConfig("quay.io", secure.url(), null, null, null, null,
            TestCertificates.shared().caPem().toString(), null))
        .registry("ghcr.io", local.url())
        .proxy(new UpstreamProxy(proxy.url(), proxy.url(), null)));
    CacheClient client = new CacheClient(cache.address());

    Pulls.manifestAndBlob(plain, client, REPO, 97);
    Pulls.manifestAndBlob(secure, client, "quay.io", REPO, 98);
    byte[] blob = TestContent.random(1000, 99);
    String digest = local.blob(REPO, blob);
    HttpResponse<byte[]> r = client.get("/v2/" + REPO + "/blobs/" + digest + "?ns=ghcr.io");
    assertEquals(200, r.statusCode(), body(r));
    assertArrayEquals(blob, r.body());
    assertEquals(List.of(), proxy.requestLines());
  }

  @Test
  void aRedirectFromBehindTheProxyToThisMachineOrToMetadataIsRefused() throws Exception {
    ForwardingProxy proxy = proxy();
    FakeUpstream upstream = named(upstream());
    FakeUpstream local = upstream(); // something listening on this machine's loopback
    CacheApplication cache = start(setup().registry("docker.io", upstream.url())
        .proxy(new UpstreamProxy(null, proxy.url(), null)));
    CacheClient client = new CacheClient(cache.address());
    byte[] blob = TestContent.random(1000, 100);
    String digest = upstream.blob(REPO, blob);
    local.raw("/internal", blob);

    String[] targets = {local.url() + "/internal?sig=s3cr3t-signature", "http://localhost:" + local.port() + "/internal",
        "http://169.254.169.254/latest/meta-data/iam", "http://metadata.google.internal/computeMetadata/v1/"};
    for (int i = 0; i < targets.length; i++) {
      upstream.behave(blobPath(REPO, digest), UpstreamBehavior.redirect(targets[i]));
      HttpResponse<byte[]> r = client.get("/v2/" + REPO + "/blobs/" + digest);
      assertEquals(503, r.statusCode(), targets[i] + ": " + body(r));
      assertEquals("UNAVAILABLE", CacheClient.errorCode(r.body()));
      assertTrue(body(r).contains("to a local, link-local or metadata address"), body(r));
      assertFalse(body(r).contains("s3cr3t-signature"), "no query strings in messages: " + body(r));
      assertEquals(i + 1.0, cache.metrics().count("upstream_errors", "registry", "docker.io", "reason", "redirect-refused"));
    }
    assertEquals(0, local.total(), "nothing reached this machine's loopback");
    assertTrue(proxy.requestLines().stream().allMatch(l -> l.contains(NAME)), "nor anything else: " + proxy.requestLines());
  }
}
