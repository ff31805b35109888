package dev.registrycache.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/** Pulls through the cache under test that must succeed, checked byte for byte. */
final class Pulls {
  private Pulls() {}

  /**
   * Serves {@code repo:v1} (an OCI manifest) and a 70 kB blob at {@code upstream}, pulls both
   * through the cache and checks what arrived; returns the blob's digest.
   */
  static String manifestAndBlob(FakeUpstream upstream, CacheClient client, String repo, int seed) {
    return manifestAndBlob(upstream, client, null, repo, seed);
  }

  /** The same from the registry {@code ns} names (containerd's {@code ?ns=}), or the default one when null. */
  static String manifestAndBlob(FakeUpstream upstream, CacheClient client, String ns, String repo, int seed) {
    String query = ns == null ? "" : "?ns=" + ns;
    byte[] manifest = TestContent.manifest(TestContent.OCI_MANIFEST, "pull-" + seed);
    upstream.manifest(repo, "v1", TestContent.OCI_MANIFEST, manifest);
    byte[] blob = TestContent.random(70_000, seed);
    String digest = upstream.blob(repo, blob);

    HttpResponse<byte[]> m = client.get("/v2/" + repo + "/manifests/v1" + query, "Accept", TestContent.ACCEPT_ALL);
    assertEquals(200, m.statusCode(), new String(m.body(), StandardCharsets.UTF_8));
    assertArrayEquals(manifest, m.body());
    HttpResponse<byte[]> b = client.get("/v2/" + repo + "/blobs/" + digest + query);
    assertEquals(200, b.statusCode(), new String(b.body(), StandardCharsets.UTF_8));
    assertArrayEquals(blob, b.body());
    return digest;
  }
}
