package dev.registrycache.upstream;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedirectPolicyTest {
  private static final URI REGISTRY = URI.create("https://registry.k8s.io");
  private static final URI FROM = URI.create("https://registry.k8s.io/v2/pause/blobs/sha256:x");

  @Test
  void ordinaryCdnRedirectsAreFollowed() {
    assertNull(RedirectPolicy.refusal(FROM, URI.create("https://us-west1-docker.pkg.dev/v2/x"), REGISTRY));
    assertNull(RedirectPolicy.refusal(URI.create("http://a.example/x"), URI.create("http://b.example/y"),
        URI.create("http://a.example")));
  }

  @Test
  void downgradesLocalAndMetadataTargetsAreRefused() {
    assertTrue(RedirectPolicy.refusal(FROM, URI.create("http://cdn.example/x"), REGISTRY).contains("downgrade"));
    for (String target : new String[] {"https://127.0.0.1/x", "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x", "https://[fe80::1]/x", "https://metadata.google.internal/x", "https://localhost:5000/x",
        "https://0.0.0.0/x"}) {
      assertNotNull(RedirectPolicy.refusal(FROM, URI.create(target), REGISTRY), target);
    }
    assertNotNull(RedirectPolicy.refusal(FROM, URI.create("file:///etc/passwd"), REGISTRY));
  }

  @Test
  void aNameThatResolvesToAnInternalAddressIsRefused() {
    Map<String, String> dns = Map.of("cdn.example", "203.0.113.7", "sneaky.example", "127.0.0.1",
        "meta.example", "169.254.169.254", "v6.example", "fe80::1");
    RedirectPolicy.Resolver resolver = host -> {
      String a = dns.get(host);
      if (a == null) {
        throw new UnknownHostException(host);
      }
      return new InetAddress[] {InetAddress.getByName(a)};
    };
    assertNull(RedirectPolicy.refusal(FROM, URI.create("https://cdn.example/x"), REGISTRY, resolver));
    assertNull(RedirectPolicy.refusal(FROM, URI.create("https://unknown.example/x"), REGISTRY, resolver),
        "a name that does not resolve fails on its own");
    for (String target : new String[] {"https://sneaky.example/x", "https://meta.example/x", "https://v6.example/x"}) {
      assertTrue(RedirectPolicy.refusal(FROM, URI.create(target), REGISTRY, resolver).contains("local"), target);
    }
    assertNull(RedirectPolicy.refusal(FROM, URI.create("https://sneaky.example/x"), REGISTRY, RedirectPolicy.NAME_ONLY),
        "behind a proxy the name is all the cache knows");
    assertNotNull(RedirectPolicy.refusal(FROM, URI.create("https://127.0.0.1/x"), REGISTRY, RedirectPolicy.NAME_ONLY));
    assertNull(RedirectPolicy.refusal(URI.create("http://127.0.0.1:15000/v2/x"), URI.create("http://sneaky.example/y"),
        URI.create("http://127.0.0.1:15000"), resolver), "an upstream on loopback may");
  }

  @Test
  void anUpstreamOnLoopbackMayRedirectOnLoopback() {
    assertNull(RedirectPolicy.refusal(URI.create("http://127.0.0.1:15000/v2/x"), URI.create("http://127.0.0.1:15001/y"),
        URI.create("http://127.0.0.1:15000")));
  }
}
