package dev.registrycache.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.config.RegistryConfig;
import dev.registrycache.config.UpstreamProxy;
import dev.registrycache.server.CacheApplication;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/** Upstreams behind a corporate proxy, and upstreams with a private CA. */
class UpstreamProxyAndTlsTest extends CacheTestBase {
  @Test
  void upstreamRequestsGoThroughTheProxyUnlessNoProxyNamesTheHost() throws Exception {
    FakeUpstream upstream = upstream();
    ForwardingProxy proxy = closeAfter(new ForwardingProxy(upstream.port()));
    byte[] blob = TestContent.random(50_000, 31);
    String digest = upstream.blob("library/app", blob);
    // a name only the proxy can reach
    String url = "http://registry.corp.test:" + upstream.port();
    CacheApplication cache = start(setup().registry("docker.io", url)
        .proxy(new UpstreamProxy(null, proxy.url(), "other.example")));
    HttpResponse<byte[]> r = new CacheClient(cache.address()).get("/v2/library/app/blobs/" + digest);
    assertEquals(200, r.statusCode(), new String(r.body()));
    assertArrayEquals(blob, r.body());
    assertTrue(proxy.forwarded.stream().anyMatch(u -> u.startsWith(url + "/v2/library/app/blobs/")), proxy.forwarded.toString());

    CacheApplication direct = start(setup().registry("docker.io", url)
        .proxy(new UpstreamProxy(null, proxy.url(), ".corp.test")));
    int before = proxy.forwarded.size();
    String other = upstream.blob("library/app", TestContent.random(40_000, 33)); // not cached yet
    HttpResponse<byte[]> d = new CacheClient(direct.address()).get("/v2/library/app/blobs/" + other);
    assertEquals(503, d.statusCode(), "NO_PROXY: direct, and the name does not resolve");
    assertEquals(before, proxy.forwarded.size(), "nothing through the proxy");
  }

  @Test
  void aPrivateCaIsTrustedWithCaFileAndRefusedWithoutIt() throws Exception {
    Tls tls = serverTls("ip:127.0.0.1,dns:localhost");
    FakeUpstream upstream = closeAfter(FakeUpstream.startHttps(tls.context()));
    byte[] blob = TestContent.random(30_000, 32);
    String digest = upstream.blob("library/app", blob);

    CacheApplication untrusted = start(setup().registry("docker.io", upstream.url()));
    HttpResponse<byte[]> refused = new CacheClient(untrusted.address()).get("/v2/library/app/blobs/" + digest);
    assertEquals(503, refused.statusCode(), "an unknown CA is not trusted");
    assertEquals(0, upstream.total(), "no request got through the handshake");

    CacheApplication trusted = start(setup().registry(
        new RegistryConfig("docker.io", upstream.url(), null, null, null, null, tls.caFile().toString(), null)));
    HttpResponse<byte[]> ok = new CacheClient(trusted.address()).get("/v2/library/app/blobs/" + digest);
    assertEquals(200, ok.statusCode(), new String(ok.body()));
    assertArrayEquals(blob, ok.body());
  }

  /**
   * An https registry behind a proxy: blob downloads go through a CONNECT tunnel and still check
   * the certificate against the registry's host name, unless insecureSkipVerify says not to.
   */
  @Test
  void httpsThroughTheProxyIsTunnelledAndTheHostNameChecked() throws Exception {
    Tls tls = serverTls("dns:registry.corp.test");
    FakeUpstream upstream = closeAfter(FakeUpstream.startHttps(tls.context()));
    TunnelProxy proxy = closeAfter(new TunnelProxy(upstream.port()));
    byte[] blob = TestContent.random(70_000, 34);
    String digest = upstream.blob("library/app", blob);
    UpstreamProxy viaProxy = new UpstreamProxy(proxy.url(), null, null);

    String named = "https://registry.corp.test:" + upstream.port(); // only the proxy can reach it
    CacheApplication cache = start(setup().registry(new RegistryConfig("docker.io", named, null, null, null, null,
        tls.caFile().toString(), null)).proxy(viaProxy));
    HttpResponse<byte[]> r = new CacheClient(cache.address()).get("/v2/library/app/blobs/" + digest);
    assertEquals(200, r.statusCode(), new String(r.body()));
    assertArrayEquals(blob, r.body());
    assertEquals(List.of("registry.corp.test:" + upstream.port()), proxy.tunnels);

    String other = "https://other.corp.test:" + upstream.port(); // not a name in the certificate
    String second = upstream.blob("library/app", TestContent.random(20_000, 35));
    CacheApplication wrongName = start(setup().registry(new RegistryConfig("docker.io", other, null, null, null, null,
        tls.caFile().toString(), null)).proxy(viaProxy));
    int before = upstream.total();
    HttpResponse<byte[]> refused = new CacheClient(wrongName.address()).get("/v2/library/app/blobs/" + second);
    assertEquals(503, refused.statusCode(), "the certificate does not name other.corp.test");
    assertEquals(before, upstream.total(), "no request got through the handshake");

    CacheApplication unchecked = start(setup().registry(new RegistryConfig("docker.io", other, null, null, null, null,
        null, true)).proxy(viaProxy));
    HttpResponse<byte[]> anyway = new CacheClient(unchecked.address()).get("/v2/library/app/blobs/" + second);
    assertEquals(200, anyway.statusCode(), "insecureSkipVerify checks nothing");
  }

  /** A server certificate for {@code san} in a key store, and the same certificate as a PEM CA file. */
  private record Tls(SSLContext context, Path caFile) {}

  private Tls serverTls(String san) throws Exception {
    Path dir = Files.createTempDirectory(tmp, "tls");
    Path ks = dir.resolve("server.p12");
    run("keytool", "-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=registry",
        "-ext", "SAN=" + san, "-validity", "2", "-storetype", "PKCS12", "-keystore", ks.toString(),
        "-storepass", "changeit", "-keypass", "changeit");
    Path pem = dir.resolve("ca.pem");
    run("keytool", "-exportcert", "-rfc", "-alias", "server", "-keystore", ks.toString(), "-storepass", "changeit",
        "-file", pem.toString());
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      store.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, "changeit".toCharArray());
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    return new Tls(tls, pem);
  }

  private static void run(String... cmd) throws Exception {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", cmd[0]);
    List<String> c = new java.util.ArrayList<>(List.of(cmd));
    c.set(0, keytool.toString());
    Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + ": " + out);
  }
}
