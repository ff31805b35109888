package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.manifestPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.server.CacheApplication;
import dev.registrycache.testing.Schema1Manifests;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Manifest negotiation with the Accept headers real clients send, against an upstream that
 * answers by Accept the way distribution does (404 or conversion to schema 1 when a type is
 * not listed). The cache must ask upstream for every stored type, cache what upstream
 * publishes under the tag, and answer each client by its own Accept.
 */
class ManifestNegotiationTest extends CacheTestBase {
  private static final String REPO = "library/app";
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private FakeUpstream upstream;
  private CacheApplication cache;
  private CacheClient client;

  @BeforeEach
  void startCache() throws Exception {
    upstream = upstream();
    cache = start(setup().registry("docker.io", upstream.url()));
    client = new CacheClient(cache.address());
  }

  private RawHttp.Response containersImage(String method, String target) throws IOException {
    return RawHttp.exchange(cache.address(), method, target, TIMEOUT, TestContent.CONTAINERS_IMAGE_ACCEPT_LINES);
  }

  @ParameterizedTest
  @ValueSource(strings = {TestContent.OCI_INDEX, TestContent.DOCKER_MANIFEST_LIST,
      TestContent.OCI_MANIFEST, TestContent.DOCKER_MANIFEST})
  void containersImageGetsEveryKindByTagWithItsSixAcceptLines(String mediaType) throws IOException {
    byte[] bytes = TestContent.manifest(mediaType, "cimg-" + mediaType);
    String digest = upstream.manifest(REPO, "v1", mediaType, bytes);

    RawHttp.Response r = containersImage("GET", "/v2/" + REPO + "/manifests/v1");
    assertEquals(200, r.status(), new String(r.body(), StandardCharsets.UTF_8));
    assertArrayEquals(bytes, r.body());
    assertEquals(mediaType, r.header("Content-Type"));
    assertEquals(digest, r.header("Docker-Content-Digest"));
    assertEquals(0, upstream.schema1Conversions(), "upstream was never asked for less than schema 2");
    String sent = upstream.requestsTo(manifestPath(REPO, "v1")).get(0).header("Accept");
    for (String t : List.of(TestContent.OCI_INDEX, TestContent.OCI_MANIFEST, TestContent.DOCKER_MANIFEST_LIST,
        TestContent.DOCKER_MANIFEST, TestContent.DOCKER_SCHEMA1_SIGNED)) {
      assertTrue(sent.contains(t), "upstream Accept lists " + t + ": " + sent);
    }
  }

  @Test
  void whatIsCachedUnderATagDoesNotDependOnWhoAskedFirst() throws IOException {
    byte[] amd64 = TestContent.manifest(TestContent.DOCKER_MANIFEST, "amd64");
    String amd64Digest = upstream.manifest(REPO, null, TestContent.DOCKER_MANIFEST, amd64);
    String list = "{\"schemaVersion\":2,\"mediaType\":\"" + TestContent.DOCKER_MANIFEST_LIST
        + "\",\"manifests\":[{\"mediaType\":\"" + TestContent.DOCKER_MANIFEST + "\",\"size\":" + amd64.length
        + ",\"digest\":\"" + TestContent.sha256("arm".getBytes()) + "\",\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}},"
        + "{\"mediaType\":\"" + TestContent.DOCKER_MANIFEST + "\",\"size\":" + amd64.length + ",\"digest\":\""
        + amd64Digest + "\",\"platform\":{\"architecture\": \"amd64\",\"os\":\"linux\"}}]}";
    byte[] listBytes = list.getBytes(StandardCharsets.UTF_8);
    String listDigest = upstream.manifest(REPO, "multi", TestContent.DOCKER_MANIFEST_LIST, listBytes);
    String byTag = "/v2/" + REPO + "/manifests/multi";

    // a client that predates lists asks first: it gets the linux/amd64 manifest...
    HttpResponse<byte[]> old = client.get(byTag, "Accept", TestContent.DOCKER_MANIFEST);
    assertEquals(200, old.statusCode(), new String(old.body()));
    assertArrayEquals(amd64, old.body());
    assertEquals(amd64Digest, old.headers().firstValue("Docker-Content-Digest").orElse(null));
    // ...and every later client still gets the list the tag really names
    HttpResponse<byte[]> ctrd = client.get(byTag, "Accept", TestContent.CONTAINERD_RESOLVE_ACCEPT);
    assertEquals(200, ctrd.statusCode());
    assertArrayEquals(listBytes, ctrd.body());
    assertEquals(TestContent.DOCKER_MANIFEST_LIST, ctrd.headers().firstValue("Content-Type").orElse(null));
    assertEquals(listDigest, ctrd.headers().firstValue("Docker-Content-Digest").orElse(null));
    RawHttp.Response cimg = containersImage("HEAD", byTag);
    assertEquals(200, cimg.status());
    assertEquals(listDigest, cimg.header("Docker-Content-Digest"));

    assertEquals(1, upstream.count("GET", manifestPath(REPO, "multi")), "one upstream GET for the tag");
    assertEquals(0, upstream.schema1Conversions());
    // by digest a list is served as it is, whatever the Accept
    HttpResponse<byte[]> byDigest = client.get("/v2/" + REPO + "/manifests/" + listDigest,
        "Accept", TestContent.DOCKER_MANIFEST);
    assertArrayEquals(listBytes, byDigest.body());
  }

  @Test
  void anIndexTheClientDoesNotAcceptIsNotFoundForItAloneAndNotNegativeCached() {
    byte[] index = TestContent.manifest(TestContent.OCI_INDEX, "index-only");
    String digest = upstream.manifest(REPO, "idx", TestContent.OCI_INDEX, index);
    String byTag = "/v2/" + REPO + "/manifests/idx";

    HttpResponse<byte[]> narrow = client.get(byTag, "Accept", TestContent.DOCKER_MANIFEST + ", "
        + TestContent.DOCKER_MANIFEST_LIST);
    assertEquals(404, narrow.statusCode());
    assertEquals("MANIFEST_UNKNOWN", CacheClient.errorCode(narrow.body()));
    assertTrue(new String(narrow.body()).contains("Accept"), new String(narrow.body()));

    HttpResponse<byte[]> full = client.get(byTag, "Accept", TestContent.CONTAINERD_RESOLVE_ACCEPT);
    assertEquals(200, full.statusCode());
    assertArrayEquals(index, full.body());
    assertEquals(digest, full.headers().firstValue("Docker-Content-Digest").orElse(null));
    assertEquals(1, upstream.count("GET", manifestPath(REPO, "idx")));
  }

  @Test
  void signedSchema1IsServedAsSentUnderItsPayloadDigest() throws IOException {
    byte[] payload = Schema1Manifests.payload(REPO, "old", TestContent.sha256("layer".getBytes()));
    byte[] signed = Schema1Manifests.signed(payload);
    String digest = upstream.schema1Manifest(REPO, "old", signed, payload);

    RawHttp.Response r = containersImage("GET", "/v2/" + REPO + "/manifests/old");
    assertEquals(200, r.status(), new String(r.body(), StandardCharsets.UTF_8));
    assertArrayEquals(signed, r.body());
    assertEquals(TestContent.DOCKER_SCHEMA1_SIGNED, r.header("Content-Type"));
    assertEquals(digest, r.header("Docker-Content-Digest"));
    assertEquals(0.0, cache.metrics().count("digest_mismatches", "registry", "docker.io"));

    HttpResponse<byte[]> byDigest = client.get("/v2/" + REPO + "/manifests/" + digest);
    assertEquals(200, byDigest.statusCode());
    assertArrayEquals(signed, byDigest.body());
    assertEquals(1, upstream.total(), "the digest request was a hit: " + upstream.requests());
  }

  @Test
  void aManifestWithAnInvalidContentTypeIsServedWithTheTypeItsContentNames() {
    byte[] bytes = TestContent.manifest(TestContent.OCI_MANIFEST, "bad-type");
    upstream.manifest(REPO, "weird", "application/vnd.oci.image.manifest.v1+json garbage/x", bytes);
    HttpResponse<byte[]> r = client.get("/v2/" + REPO + "/manifests/weird", "Accept", TestContent.CONTAINERD_RESOLVE_ACCEPT);
    assertEquals(200, r.statusCode());
    assertEquals(TestContent.OCI_MANIFEST, r.headers().firstValue("Content-Type").orElse(null));
  }
}
