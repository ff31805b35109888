package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static dev.registrycache.it.FakeUpstream.manifestPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.server.CacheApplication;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Upstream authentication (anonymous Bearer tokens, Basic) and redirects to blob storage. */
class UpstreamAuthTest extends CacheTestBase {
  private static final String REPO = "library/app";

  @Test
  void anonymousTokenIsFetchedOncePerRepositoryAndReused() throws Exception {
    FakeUpstream upstream = upstream();
    upstream.requireBearerToken();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()));
    CacheClient client = new CacheClient(cache.address());
    byte[] manifest = TestContent.manifest(TestContent.OCI_MANIFEST, "auth");
    upstream.manifest(REPO, "v1", TestContent.OCI_MANIFEST, manifest);
    byte[] one = TestContent.random(5000, 11);
    byte[] two = TestContent.random(7000, 12);
    String d1 = upstream.blob(REPO, one);
    String d2 = upstream.blob(REPO, two);

    HttpResponse<byte[]> m = client.get("/v2/" + REPO + "/manifests/v1");
    assertEquals(200, m.statusCode());
    assertArrayEquals(manifest, m.body());
    assertArrayEquals(one, client.get("/v2/" + REPO + "/blobs/" + d1).body());
    assertArrayEquals(two, client.get("/v2/" + REPO + "/blobs/" + d2).body());
    assertEquals(404, client.head("/v2/" + REPO + "/blobs/" + TestContent.sha256(new byte[0])).statusCode());

    assertEquals(1, upstream.tokenRequests(), "one token for one repository: " + upstream.requests());
    FakeUpstream.Recorded token = upstream.requestsTo("/token").get(0);
    assertTrue(token.query().contains("service=fake"), token.query());
    assertTrue(token.query().contains("scope=repository%3Alibrary%2Fapp%3Apull"), token.query());
    assertNull(token.header("Authorization"), "anonymous: no credentials configured");
    assertEquals("Bearer tok-1", upstream.requestsTo(blobPath(REPO, d2)).get(0).header("Authorization"),
        "later requests carry the cached token up front");
    assertEquals(1, upstream.count("GET", blobPath(REPO, d2)));

    String other = "library/other";
    byte[] three = TestContent.random(3000, 13);
    String d3 = upstream.blob(other, three);
    assertArrayEquals(three, client.get("/v2/" + other + "/blobs/" + d3).body());
    assertEquals(2, upstream.tokenRequests(), "another repository, another scope");
  }

  @Test
  void tokenServiceGetsTheConfiguredCredentials() throws Exception {
    FakeUpstream upstream = upstream();
    upstream.requireBearerToken();
    CacheApplication cache = start(setup().registry("docker.io", upstream.url(), "bob", "hunter2"));
    byte[] blob = TestContent.random(3000, 16);
    String digest = upstream.blob(REPO, blob);

    assertArrayEquals(blob, new CacheClient(cache.address()).get("/v2/" + REPO + "/blobs/" + digest).body());
    String basic = "Basic " + Base64.getEncoder().encodeToString("bob:hunter2".getBytes(StandardCharsets.UTF_8));
    assertEquals(basic, upstream.requestsTo("/token").get(0).header("Authorization"));
    assertTrue(upstream.requestsTo(blobPath(REPO, digest)).stream()
        .noneMatch(r -> basic.equals(r.header("Authorization"))), "the registry gets the token, not the password");
  }

  @Test
  void basicAuthUpstreamGetsTheConfiguredCredentials() throws Exception {
    FakeUpstream upstream = upstream();
    upstream.requireBasic("alice", "s3cret");
    CacheApplication cache = start(setup().registry("docker.io", upstream.url(), "alice", "s3cret"));
    CacheClient client = new CacheClient(cache.address());
    byte[] manifest = TestContent.manifest(TestContent.DOCKER_MANIFEST, "basic");
    upstream.manifest(REPO, "v1", TestContent.DOCKER_MANIFEST, manifest);
    byte[] blob = TestContent.random(4000, 14);
    String digest = upstream.blob(REPO, blob);

    assertArrayEquals(manifest, client.get("/v2/" + REPO + "/manifests/v1").body());
    assertArrayEquals(blob, client.get("/v2/" + REPO + "/blobs/" + digest).body());

    String expected = "Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8));
    List<FakeUpstream.Recorded> blobRequests = upstream.requestsTo(blobPath(REPO, digest));
    assertEquals(expected, blobRequests.get(blobRequests.size() - 1).header("Authorization"));
    assertEquals(1, blobRequests.size(), "credentials sent up front once Basic was seen");
    assertEquals(0, upstream.tokenRequests());
  }

  @Test
  void wrongCredentialsAreDeniedNotRetriedForever() throws Exception {
    FakeUpstream upstream = upstream();
    upstream.requireBasic("alice", "s3cret");
    CacheApplication cache = start(setup().registry("docker.io", upstream.url(), "alice", "wrong"));
    CacheClient client = new CacheClient(cache.address());
    upstream.manifest(REPO, "v1", TestContent.OCI_MANIFEST, TestContent.manifest(TestContent.OCI_MANIFEST, "x"));

    HttpResponse<byte[]> r = client.get("/v2/" + REPO + "/manifests/v1");
    assertEquals(403, r.statusCode());
    assertEquals("DENIED", CacheClient.errorCode(r.body()));
    assertTrue(upstream.count("GET", manifestPath(REPO, "v1")) <= 2);
  }

  @Test
  void blobRedirectedToAnotherHostIsFollowedWithoutTheRegistryAuthorization() throws Exception {
    FakeUpstream registry = upstream();
    FakeUpstream storage = upstream();
    registry.requireBearerToken();
    CacheApplication cache = start(setup().registry("docker.io", registry.url()));
    CacheClient client = new CacheClient(cache.address());
    byte[] blob = TestContent.random(200_000, 15);
    String digest = registry.blob(REPO, blob);
    String location = storage.url() + "/storage/" + TestContent.hex(digest) + "?sig=abc";
    storage.raw("/storage/" + TestContent.hex(digest), blob);
    registry.behave(blobPath(REPO, digest), UpstreamBehavior.redirect(location));

    HttpResponse<byte[]> r = client.get("/v2/" + REPO + "/blobs/" + digest);
    assertEquals(200, r.statusCode());
    assertArrayEquals(blob, r.body());
    assertEquals(digest, r.headers().firstValue("Docker-Content-Digest").orElse(null));

    List<FakeUpstream.Recorded> atRegistry = registry.requestsTo(blobPath(REPO, digest));
    assertTrue(atRegistry.get(atRegistry.size() - 1).header("Authorization").startsWith("Bearer "),
        "the registry itself got the token");
    List<FakeUpstream.Recorded> atStorage = storage.requestsTo("/storage/" + TestContent.hex(digest));
    assertEquals(1, atStorage.size());
    assertEquals("sig=abc", atStorage.get(0).query());
    assertNull(atStorage.get(0).header("Authorization"), "no registry credentials to another host");
    assertFalse(storage.requests().stream().anyMatch(q -> q.header("Authorization") != null));

    assertArrayEquals(blob, client.get("/v2/" + REPO + "/blobs/" + digest).body());
    assertEquals(1, storage.total(), "served from the cache afterwards");
  }

  /**
   * registry.k8s.io's shape: the registry (here with Basic credentials) redirects to a storage
   * host that answers 401 with its own Bearer challenge. The cache gets an anonymous token from
   * that host's realm and never shows it the registry's credentials.
   */
  @Test
  void aRedirectTargetThatChallengesGetsItsOwnAnonymousToken() throws Exception {
    FakeUpstream registry = upstream();
    FakeUpstream storage = upstream();
    registry.requireBasic("puller", "s3cret-pw");
    storage.requireBearerToken();
    CacheApplication cache = start(setup().registry("docker.io", registry.url(), "puller", "s3cret-pw"));
    CacheClient client = new CacheClient(cache.address());
    byte[] blob = TestContent.random(100_000, 21);
    String digest = registry.blob(REPO, blob);
    String where = "/v2/" + REPO + "/blobs/" + digest;
    storage.blob(REPO, blob);
    registry.behave(blobPath(REPO, digest), UpstreamBehavior.redirect(storage.url() + where));

    HttpResponse<byte[]> r = client.get(where);
    assertEquals(200, r.statusCode(), new String(r.body()));
    assertArrayEquals(blob, r.body());
    assertEquals(1, storage.tokenRequests(), "one token from the storage host's realm");
    assertTrue(storage.requests().stream().noneMatch(q -> q.header("Authorization") != null
        && q.header("Authorization").startsWith("Basic")), "the registry's credentials never reach storage");
    assertNull(storage.requestsTo("/token").get(0).header("Authorization"), "the token is anonymous");
  }
}
