package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.manifestPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.server.CacheApplication;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Manifests and indexes by tag and by digest: exact bytes, media type, headers, caching. */
class ManifestPullTest extends CacheTestBase {
  private static final String REPO = "library/app";
  private FakeUpstream upstream;
  private CacheApplication cache;
  private CacheClient client;

  @BeforeEach
  void startCache() throws Exception {
    upstream = upstream();
    cache = start(setup().registry("docker.io", upstream.url()));
    client = new CacheClient(cache.address());
  }

  @ParameterizedTest
  @ValueSource(strings = {TestContent.OCI_INDEX, TestContent.DOCKER_MANIFEST_LIST,
      TestContent.OCI_MANIFEST, TestContent.DOCKER_MANIFEST})
  void byTagThenByDigestServesUpstreamBytesWithTheirMediaType(String mediaType) {
    byte[] bytes = TestContent.manifest(mediaType, mediaType);
    String digest = upstream.manifest(REPO, "v1", mediaType, bytes);
    String byTag = "/v2/" + REPO + "/manifests/v1";
    String byDigest = "/v2/" + REPO + "/manifests/" + digest;

    HttpResponse<byte[]> r = client.get(byTag, "Accept", TestContent.ACCEPT_ALL);
    assertEquals(200, r.statusCode());
    assertArrayEquals(bytes, r.body());
    assertManifestHeaders(r, mediaType, digest, bytes.length);
    assertEquals(1, upstream.count("GET", manifestPath(REPO, "v1")));
    String sentAccept = upstream.requestsTo(manifestPath(REPO, "v1")).get(0).header("Accept");
    assertTrue(sentAccept.contains(mediaType), "client's Accept passed upstream: " + sentAccept);

    HttpResponse<byte[]> head = client.head(byTag, "Accept", TestContent.ACCEPT_ALL);
    assertEquals(200, head.statusCode());
    assertEquals(0, head.body().length);
    assertManifestHeaders(head, mediaType, digest, bytes.length);

    for (String target : new String[] {byDigest, byTag}) {
      HttpResponse<byte[]> again = client.get(target, "Accept", TestContent.ACCEPT_ALL);
      assertEquals(200, again.statusCode(), target);
      assertArrayEquals(bytes, again.body(), target);
      assertManifestHeaders(again, mediaType, digest, bytes.length);
      HttpResponse<byte[]> againHead = client.head(target, "Accept", TestContent.ACCEPT_ALL);
      assertEquals(0, againHead.body().length);
      assertManifestHeaders(againHead, mediaType, digest, bytes.length);
    }
    assertEquals(1, upstream.total(), "only the first GET by tag reached upstream: " + upstream.requests());
    assertTrue(Files.isRegularFile(storedFile(digest)), "manifest stored under its digest");
  }

  @Test
  void byDigestIsFetchedOnceThenServedFromTheCache() {
    byte[] bytes = TestContent.manifest(TestContent.OCI_MANIFEST, "by-digest");
    String digest = upstream.manifest(REPO, null, TestContent.OCI_MANIFEST, bytes);
    String target = "/v2/" + REPO + "/manifests/" + digest;

    for (int i = 0; i < 3; i++) {
      HttpResponse<byte[]> r = client.get(target, "Accept", TestContent.OCI_MANIFEST);
      assertEquals(200, r.statusCode());
      assertArrayEquals(bytes, r.body());
      assertManifestHeaders(r, TestContent.OCI_MANIFEST, digest, bytes.length);
    }
    assertEquals(1, upstream.count("GET", manifestPath(REPO, digest)));
    assertEquals(1, upstream.total());
    assertEquals(1.0, cache.metrics().count("lookups", "kind", "manifest", "result", "miss"));
    assertEquals(2.0, cache.metrics().count("lookups", "kind", "manifest", "result", "hit"));
  }

  @Test
  void unknownManifestIsManifestUnknownAndRememberedBriefly() {
    String target = "/v2/" + REPO + "/manifests/nope";
    HttpResponse<byte[]> r = client.get(target);
    assertEquals(404, r.statusCode());
    assertEquals("MANIFEST_UNKNOWN", CacheClient.errorCode(r.body()));
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(null));

    HttpResponse<byte[]> head = client.head(target);
    assertEquals(404, head.statusCode());
    assertEquals(0, head.body().length);
    assertEquals(1, upstream.count("GET", manifestPath(REPO, "nope")), "negative-cached");
  }

  @Test
  void baseEndpointAnswersWithTheApiVersion() {
    HttpResponse<byte[]> r = client.get("/v2/", "Authorization", "Basic Og=="); // podman's, without credentials
    assertEquals(200, r.statusCode());
    assertEquals("registry/2.0", r.headers().firstValue("Docker-Distribution-API-Version").orElse(null));
    HttpResponse<byte[]> challenge = client.get("/v2/");
    assertEquals(401, challenge.statusCode());
    assertEquals("registry/2.0", challenge.headers().firstValue("Docker-Distribution-API-Version").orElse(null));
  }

  private static void assertManifestHeaders(HttpResponse<byte[]> r, String mediaType, String digest,
      int length) {
    assertEquals(mediaType, r.headers().firstValue("Content-Type").orElse(null));
    assertEquals(digest, r.headers().firstValue("Docker-Content-Digest").orElse(null));
    assertEquals("\"" + digest + "\"", r.headers().firstValue("ETag").orElse(null));
    assertEquals(length, r.headers().firstValueAsLong("Content-Length").orElse(-1));
  }
}
