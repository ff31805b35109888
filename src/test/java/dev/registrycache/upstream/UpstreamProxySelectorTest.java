package dev.registrycache.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.registrycache.config.UpstreamProxy;
import java.net.Proxy;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UpstreamProxySelectorTest {
  @Test
  void schemeChoosesTheProxyAndNoProxyBypassesIt() {
    UpstreamProxySelector s = new UpstreamProxySelector(new UpstreamProxy("http://secure:3128", "plain:8080",
        ".internal.example, registry.local,10.1.2.3"));
    assertEquals("secure:3128", hostPort(s.select(URI.create("https://quay.io/v2/")).get(0)));
    assertEquals("plain:8080", hostPort(s.select(URI.create("http://quay.io/v2/")).get(0)));
    for (String host : new String[] {"a.internal.example", "internal.example", "registry.local", "10.1.2.3",
        "localhost", "127.0.0.1"}) {
      assertEquals(Proxy.NO_PROXY, s.select(URI.create("https://" + host + "/v2/")).get(0), host);
    }
    assertEquals("secure:3128", hostPort(s.proxyFor(URI.create("https://notinternal.example/v2/"))));
    assertNull(new UpstreamProxySelector(new UpstreamProxy("http://p:1", null, "*")).proxyFor(URI.create("https://quay.io/")));
  }

  @Test
  void noProxyEntriesWithAPortMatchTheDefaultPortOfTheScheme() {
    UpstreamProxySelector s = new UpstreamProxySelector(new UpstreamProxy("http://p:1", "http://p:2",
        "quay.io:443,ghcr.io:80"));
    assertNull(s.proxyFor(URI.create("https://quay.io/v2/")));
    assertEquals("p:2", hostPort(s.proxyFor(URI.create("http://quay.io/v2/"))));
    assertNull(s.proxyFor(URI.create("http://ghcr.io/v2/")));
    assertEquals("p:1", hostPort(s.proxyFor(URI.create("https://ghcr.io/v2/"))));
  }

  @Test
  void environmentWhenTheConfigIsSilentAndCredentialsNeverPrinted() {
    UpstreamProxy p = UpstreamProxy.resolve(null, Map.of("https_proxy", "http://user:pw-secret@proxy:3128",
        "NO_PROXY", ".corp"));
    assertEquals("http://user:pw-secret@proxy:3128", p.httpsProxy());
    assertEquals(".corp", p.noProxy());
    assertFalse(p.toString().contains("pw-secret"), p.toString());
    UpstreamProxy configured = UpstreamProxy.resolve(new UpstreamProxy("http://cfg:1", null, null),
        Map.of("HTTPS_PROXY", "http://env:2"));
    assertEquals("http://cfg:1", configured.httpsProxy());
  }

  private static String hostPort(Proxy p) {
    assertNotNull(p, "a proxy");
    java.net.InetSocketAddress a = (java.net.InetSocketAddress) p.address();
    return a.getHostString() + ":" + a.getPort();
  }
}
