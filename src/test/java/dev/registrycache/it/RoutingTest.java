package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static dev.registrycache.it.FakeUpstream.manifestPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.registrycache.server.CacheApplication;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One endpoint, several registries: {@code ?ns=}, a registry path prefix (both spellings) or
 * the default registry; Docker Hub names normalised; the catalog; tag lists passed through.
 */
class RoutingTest extends CacheTestBase {
  private FakeUpstream hub;
  private FakeUpstream quay;
  private CacheApplication cache;
  private CacheClient client;

  @BeforeEach
  void startCache() throws Exception {
    hub = upstream();
    quay = upstream();
    cache = start(setup().registry("docker.io", hub.url()).registry("quay.io", quay.url()));
    client = new CacheClient(cache.address());
  }

  @ParameterizedTest
  @CsvSource({
      // how the client asks                       , registry , upstream repository
      "/v2/library/nginx/blobs/{d}                 , docker.io, library/nginx",
      "/v2/nginx/blobs/{d}                         , docker.io, library/nginx",
      "/v2/library/nginx/blobs/{d}?ns=docker.io    , docker.io, library/nginx",
      "/v2/nginx/blobs/{d}?ns=docker.io            , docker.io, library/nginx",
      "/v2/docker.io/library/nginx/blobs/{d}       , docker.io, library/nginx",
      "/v2/docker.io/nginx/blobs/{d}               , docker.io, library/nginx",
      "/docker.io/v2/library/nginx/blobs/{d}       , docker.io, library/nginx",
      "/v2/bitnami/redis/blobs/{d}?ns=index.docker.io, docker.io, bitnami/redis",
      "/v2/prometheus/node-exporter/blobs/{d}?ns=quay.io, quay.io, prometheus/node-exporter",
      "/v2/quay.io/prometheus/node-exporter/blobs/{d}, quay.io  , prometheus/node-exporter",
      "/quay.io/v2/prometheus/node-exporter/blobs/{d}, quay.io  , prometheus/node-exporter",
      "/v2/quay.io/app/blobs/{d}                   , quay.io  , app"})
  void blobRequestsReachTheRightUpstream(String form, String registry, String upstreamRepo) {
    FakeUpstream right = registry.equals("docker.io") ? hub : quay;
    FakeUpstream wrong = right == hub ? quay : hub;
    byte[] bytes = TestContent.random(2000, form.hashCode());
    String digest = right.blob(upstreamRepo, bytes);

    HttpResponse<byte[]> r = client.get(form.replace("{d}", digest));
    assertEquals(200, r.statusCode(), form);
    assertArrayEquals(bytes, r.body());
    assertEquals(1, right.count("GET", blobPath(upstreamRepo, digest)));
    assertEquals(0, wrong.total(), "nothing sent to the other registry");
  }

  @Test
  void manifestFormsShareOneCacheEntryPerRegistry() {
    byte[] hubManifest = TestContent.manifest(TestContent.OCI_INDEX, "hub");
    byte[] quayManifest = TestContent.manifest(TestContent.OCI_INDEX, "quay");
    hub.manifest("library/nginx", "1.27", TestContent.OCI_INDEX, hubManifest);
    quay.manifest("library/nginx", "1.27", TestContent.OCI_INDEX, quayManifest);

    for (String t : new String[] {"/v2/nginx/manifests/1.27", "/v2/library/nginx/manifests/1.27?ns=docker.io",
        "/v2/docker.io/library/nginx/manifests/1.27", "/docker.io/v2/nginx/manifests/1.27"}) {
      assertArrayEquals(hubManifest, client.get(t).body(), t);
    }
    for (String t : new String[] {"/v2/library/nginx/manifests/1.27?ns=quay.io",
        "/v2/quay.io/library/nginx/manifests/1.27", "/quay.io/v2/library/nginx/manifests/1.27"}) {
      assertArrayEquals(quayManifest, client.get(t).body(), t);
    }
    assertEquals(1, hub.count("GET", manifestPath("library/nginx", "1.27")));
    assertEquals(1, quay.count("GET", manifestPath("library/nginx", "1.27")));
  }

  @Test
  void catalogListsCachedRepositoriesWithTheirRegistry() {
    hub.manifest("library/nginx", "latest", TestContent.OCI_INDEX, TestContent.manifest(TestContent.OCI_INDEX, "n"));
    quay.manifest("prometheus/node-exporter", "v1", TestContent.OCI_MANIFEST,
        TestContent.manifest(TestContent.OCI_MANIFEST, "q"));
    String blobOnly = hub.blob("library/redis", TestContent.random(10, 1));
    client.get("/v2/nginx/manifests/latest");
    client.get("/v2/quay.io/prometheus/node-exporter/manifests/v1");
    client.get("/v2/library/redis/blobs/" + blobOnly);

    HttpResponse<byte[]> r = client.get("/v2/_catalog");
    assertEquals(200, r.statusCode());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(null));
    assertEquals("{\"repositories\":[\"docker.io/library/nginx\",\"quay.io/prometheus/node-exporter\"]}",
        new String(r.body(), StandardCharsets.UTF_8).trim());

    HttpResponse<byte[]> page = client.get("/v2/_catalog?n=1");
    assertEquals("[\"docker.io/library/nginx\"]", CacheClient.json(page.body()).get("repositories").toString());
    assertEquals("</v2/_catalog?last=docker.io%2Flibrary%2Fnginx&n=1>; rel=\"next\"",
        page.headers().firstValue("Link").orElse(null));
    HttpResponse<byte[]> next = client.get("/v2/_catalog?last=docker.io%2Flibrary%2Fnginx&n=1");
    assertEquals("[\"quay.io/prometheus/node-exporter\"]",
        CacheClient.json(next.body()).get("repositories").toString());

    // a catalog entry is a name the cache answers to
    assertEquals(200, client.get("/v2/quay.io/prometheus/node-exporter/manifests/v1").statusCode());
    assertEquals(3, hub.total() + quay.total(), "two manifests and a blob; the catalog asks no upstream");
  }

  @Test
  void tagListsArePassedThroughFromUpstream() {
    String hubTags = "{\"name\":\"library/nginx\",\"tags\":[\"1.25\",\"1.27\",\"latest\"]}";
    hub.tagList("library/nginx", hubTags, null);
    quay.tagList("org/app", "{\"name\":\"org/app\",\"tags\":[\"a\",\"b\"]}",
        "</v2/org/app/tags/list?last=b&n=2>; rel=\"next\"");

    for (int i = 1; i <= 2; i++) {
      HttpResponse<byte[]> r = client.get("/v2/nginx/tags/list");
      assertEquals(200, r.statusCode());
      assertEquals(hubTags, new String(r.body(), StandardCharsets.UTF_8));
      assertEquals(i, hub.count("GET", "/v2/library/nginx/tags/list"), "not cached: passed through");
    }

    HttpResponse<byte[]> q = client.get("/v2/quay.io/org/app/tags/list?n=2");
    JsonNode tags = CacheClient.json(q.body());
    assertEquals("[\"a\",\"b\"]", tags.get("tags").toString());
    assertEquals("n=2", quay.requestsTo("/v2/org/app/tags/list").get(0).query());
    assertEquals("</v2/quay.io/org/app/tags/list?last=b&n=2>; rel=\"next\"",
        q.headers().firstValue("Link").orElse(null), "next page link comes back to the cache");

    HttpResponse<byte[]> unknown = client.get("/v2/library/nothing/tags/list");
    assertEquals(404, unknown.statusCode());
    assertEquals("NAME_UNKNOWN", CacheClient.errorCode(unknown.body()));
  }

  @org.junit.jupiter.api.Test
  void nsOfAnUnconfiguredRegistryIsNotServedFromAnotherOneByItsPrefix() {
    byte[] bytes = TestContent.random(1500, 7);
    String digest = hub.blob("library/nginx", bytes);
    // ctr pull harbor.example/docker.io/library/nginx: not Docker Hub's nginx
    HttpResponse<byte[]> r = client.get("/v2/docker.io/library/nginx/blobs/" + digest + "?ns=harbor.example");
    assertEquals(404, r.statusCode());
    assertEquals("NAME_UNKNOWN", CacheClient.errorCode(r.body()));
    assertEquals(0, hub.total(), "nothing asked of Docker Hub");
    // the override_path form still works: prefix and ns agree
    HttpResponse<byte[]> same = client.get("/v2/docker.io/library/nginx/blobs/" + digest + "?ns=docker.io");
    assertEquals(200, same.statusCode());
    assertArrayEquals(bytes, same.body());
  }

  @org.junit.jupiter.api.Test
  void unconfiguredRegistriesShareOneMetricLabel() {
    for (int i = 0; i < 50; i++) {
      assertEquals(404, client.get("/v2/library/x/manifests/v1?ns=random-" + i + ".example").statusCode());
    }
    long labels = cache.metrics().registry().find("registry_cache_requests").counters().stream()
        .map(c -> c.getId().getTag("registry")).distinct().count();
    assertTrue(labels <= 3, "registry labels: " + labels);
    // an answer is counted once it was written: the last one may reach the client first
    awaitTrue("50 counted under one label",
        () -> cache.metrics().count("requests", "registry", "other", "kind", "manifest", "status", "404") == 50.0);
  }

  @org.junit.jupiter.api.Test
  void aRegistryMayHaveItsOwnTagTtl() throws Exception {
    FakeUpstream fast = upstream();
    FakeUpstream slow = upstream();
    CacheApplication c = start(setup().registryWithTagTtl("docker.io", fast.url(), "100ms")
        .registry("quay.io", slow.url()));
    CacheClient cc = new CacheClient(c.address());
    byte[] m = TestContent.manifest(TestContent.OCI_MANIFEST, "ttl");
    fast.manifest("library/app", "v1", TestContent.OCI_MANIFEST, m);
    slow.manifest("org/app", "v1", TestContent.OCI_MANIFEST, m);
    for (int i = 0; i < 2; i++) {
      assertEquals(200, cc.get("/v2/library/app/manifests/v1", "Accept", TestContent.ACCEPT_ALL).statusCode());
      assertEquals(200, cc.get("/v2/quay.io/org/app/manifests/v1", "Accept", TestContent.ACCEPT_ALL).statusCode());
      Thread.sleep(300);
    }
    assertEquals(1, fast.count("HEAD", manifestPath("library/app", "v1")), "docker.io's 100 ms TTL ran out");
    assertEquals(0, slow.count("HEAD", manifestPath("org/app", "v1")), "quay.io keeps the global 5 m");
  }
}
