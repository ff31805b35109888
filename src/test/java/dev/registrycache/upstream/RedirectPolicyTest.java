package dev.registrycache.upstream;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
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
  void anUpstreamOnLoopbackMayRedirectOnLoopback() {
    assertNull(RedirectPolicy.refusal(URI.create("http://127.0.0.1:15000/v2/x"), URI.create("http://127.0.0.1:15001/y"),
        URI.create("http://127.0.0.1:15000")));
  }
}
