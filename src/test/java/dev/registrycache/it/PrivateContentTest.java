package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static dev.registrycache.it.FakeUpstream.manifestPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.config.RegistryConfig;
import dev.registrycache.server.CacheApplication;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Content upstream does not serve anonymously: cached, and served from the disk only to a client
 * whose own credentials upstream accepts for it; everyone else gets what upstream would say.
 */
class PrivateContentTest extends CacheTestBase {
  private static final String PRIVATE = "team/app";
  private static final String PUBLIC = "library/pub";
  private static final String ALICE = basic("alice", "alice-pw");
  private static final String BOB = basic("bob", "bob-pw");

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private record Image(byte[] manifest, String manifestDigest, byte[] layer, String layerDigest) {}

  private static Image push(FakeUpstream upstream, String repo, String salt, long seed) {
    byte[] manifest = TestContent.manifest(TestContent.OCI_MANIFEST, salt);
    String md = upstream.manifest(repo, "v1", TestContent.OCI_MANIFEST, manifest);
    byte[] layer = TestContent.random(20_000, seed);
    return new Image(manifest, md, layer, upstream.blob(repo, layer));
  }

  private static void assertRefused(HttpResponse<byte[]> r, int status, byte[] secret) {
    assertEquals(status, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    assertFalse(new String(r.body(), StandardCharsets.ISO_8859_1).contains(
        new String(secret, StandardCharsets.ISO_8859_1)), "the answer holds none of the private content");
  }

  @Test
  void privateContentIsServedFromDiskOnlyToClientsUpstreamAccepts() throws Exception {
    FakeUpstream upstream = upstream();
    upstream.privateRepository(PRIVATE, "alice:alice-pw");
    upstream.privateRepository("team/other", "bob:bob-pw");
    Image image = push(upstream, PRIVATE, "private", 1);
    Image pub = push(upstream, PUBLIC, "public", 2);
    CacheApplication cache = start(setup().registry("docker.io", upstream.url()));
    CacheClient client = new CacheClient(cache.address());
    String manifest = "/v2/" + PRIVATE + "/manifests/v1";
    String layer = "/v2/" + PRIVATE + "/blobs/" + image.layerDigest();

    // no credentials: 401 with a Basic challenge, which makes a runtime send the pod's
    HttpResponse<byte[]> anonymous = client.get(manifest);
    assertRefused(anonymous, 401, image.manifest());
    assertEquals("UNAUTHORIZED", CacheClient.errorCode(anonymous.body()));
    assertEquals("Basic realm=\"registry-cache\", charset=\"UTF-8\"",
        anonymous.headers().firstValue("WWW-Authenticate").orElse(null));

    // the owner's credentials: the image, fetched upstream with them
    HttpResponse<byte[]> m = client.get(manifest, "Authorization", ALICE);
    assertEquals(200, m.statusCode(), new String(m.body(), StandardCharsets.UTF_8));
    assertArrayEquals(image.manifest(), m.body());
    assertArrayEquals(image.layer(), client.get(layer, "Authorization", ALICE).body());
    assertEquals(1, upstream.count("GET", blobPath(PRIVATE, image.layerDigest())));
    assertTrue(upstream.requestsTo(blobPath(PRIVATE, image.layerDigest())).stream()
        .allMatch(r -> ALICE.equals(r.header("Authorization"))), "fetched with the client's credentials");

    // again, on another connection: from the disk, no blob bytes upstream
    CacheClient again = new CacheClient(cache.address());
    assertArrayEquals(image.layer(), again.get(layer, "Authorization", ALICE).body());
    assertArrayEquals(image.manifest(), again.get("/v2/" + PRIVATE + "/manifests/" + image.manifestDigest(),
        "Authorization", ALICE).body());
    assertEquals(1, upstream.count("GET", blobPath(PRIVATE, image.layerDigest())));

    // everyone else, even knowing the digests: what upstream would answer them, never the bytes
    assertRefused(client.get(layer), 401, image.layer());
    assertRefused(client.head(layer), 401, new byte[] {1});
    assertRefused(client.get("/v2/" + PRIVATE + "/manifests/" + image.manifestDigest()), 401, image.manifest());
    assertRefused(client.get(layer, "Authorization", basic("alice", "wrong")), 401, image.layer());
    assertRefused(client.get(layer, "Authorization", BOB), 401, image.layer());
    assertRefused(client.get("/v2/team/other/blobs/" + image.layerDigest(), "Authorization", BOB), 404, image.layer());
    assertRefused(client.get("/v2/" + PUBLIC + "/blobs/" + image.layerDigest()), 404, image.layer());
    assertRefused(client.get(manifest, "Authorization", "Bearer abc"), 401, image.manifest());
    assertEquals(1, upstream.count("GET", blobPath(PRIVATE, image.layerDigest())));

    // public content: served to anyone, fetched without credentials
    assertArrayEquals(pub.manifest(), client.get("/v2/" + PUBLIC + "/manifests/v1").body());
    assertArrayEquals(pub.layer(), client.get("/v2/" + PUBLIC + "/blobs/" + pub.layerDigest()).body());
    awaitIndexed(cache, pub.layerDigest());
    // stored as public: served to a client with credentials too, without asking upstream
    assertArrayEquals(pub.layer(), client.get("/v2/" + PUBLIC + "/blobs/" + pub.layerDigest(),
        "Authorization", ALICE).body());
    assertTrue(upstream.requestsTo(blobPath(PUBLIC, pub.layerDigest())).stream()
        .allMatch(r -> r.header("Authorization") == null), "no client's credentials for public content");

    // private tags are never remembered, so the catalog never names a private repository
    String catalog = new String(client.get("/v2/_catalog").body(), StandardCharsets.UTF_8);
    assertTrue(catalog.contains(PUBLIC) && !catalog.contains(PRIVATE), catalog);
  }

  @Test
  void privateMarksOutliveARestartAndPublicCopiesAreSharedAgain() throws Exception {
    FakeUpstream upstream = upstream();
    upstream.privateRepository(PRIVATE, "alice:alice-pw");
    Image image = push(upstream, PRIVATE, "private", 3);
    upstream.blob(PUBLIC, image.layer()); // the same layer, public in another repository
    String layer = "/v2/" + PRIVATE + "/blobs/" + image.layerDigest();
    CacheApplication first = start(setup().registry("docker.io", upstream.url()));
    CacheClient before = new CacheClient(first.address());
    assertEquals(200, before.get("/v2/" + PRIVATE + "/manifests/v1", "Authorization", ALICE).statusCode());
    assertArrayEquals(image.layer(), before.get(layer, "Authorization", ALICE).body());
    awaitIndexed(first, image.layerDigest()); // stored before the cache stops
    try (Stream<Path> marks = Files.list(storage().resolve("private"))) {
      assertEquals(2, marks.count(), "the manifest and the layer are marked private on disk");
    }
    first.close();

    CacheApplication second = start(setup().registry("docker.io", upstream.url()));
    CacheClient client = new CacheClient(second.address());
    assertRefused(client.get(layer), 401, image.layer());
    // upstream gives the same bytes to anyone from the public repository: public from now on
    HttpResponse<byte[]> shared = client.get("/v2/" + PUBLIC + "/blobs/" + image.layerDigest());
    assertEquals(200, shared.statusCode(), new String(shared.body(), StandardCharsets.UTF_8));
    assertArrayEquals(image.layer(), shared.body());
    assertEquals(0, upstream.count("GET", blobPath(PUBLIC, image.layerDigest())), "served from the disk");
    assertArrayEquals(image.layer(), client.get("/v2/" + PUBLIC + "/blobs/" + image.layerDigest()).body());
    assertEquals(1, upstream.count("HEAD", blobPath(PUBLIC, image.layerDigest())), "checked once, then public");
    assertEquals(1, upstream.count("GET", blobPath(PRIVATE, image.layerDigest())));
  }

  @Test
  void behindATokenServiceAWrongPasswordIs401AndTheRightOneGetsTheImage() throws Exception {
    FakeUpstream upstream = upstream();
    upstream.requireBearerToken();
    upstream.privateRepositoryBehindTokens(PRIVATE, "alice:alice-pw");
    Image image = push(upstream, PRIVATE, "token", 5);
    CacheClient client = new CacheClient(start(setup().registry("docker.io", upstream.url())).address());
    String manifest = "/v2/" + PRIVATE + "/manifests/v1";
    assertRefused(client.get(manifest), 401, image.manifest());
    assertRefused(client.get(manifest, "Authorization", basic("alice", "wrong")), 401, image.manifest());
    assertArrayEquals(image.manifest(), client.get(manifest, "Authorization", ALICE).body());
    assertArrayEquals(image.layer(), client.get("/v2/" + PRIVATE + "/blobs/" + image.layerDigest(),
        "Authorization", ALICE).body());
    assertRefused(client.get("/v2/" + PRIVATE + "/blobs/" + image.layerDigest()), 401, image.layer());
    assertTrue(upstream.requestsTo("/token").stream().anyMatch(r -> ALICE.equals(r.header("Authorization"))),
        "the token service got the client's credentials");
  }

  @Test
  void thePingChallengesOnlyWhereSomeRegistryVerifiesCallers() throws Exception {
    FakeUpstream upstream = upstream();
    CacheClient verifying = new CacheClient(start(setup().registry("docker.io", upstream.url())).address());
    HttpResponse<byte[]> ping = verifying.get("/v2/");
    assertEquals(401, ping.statusCode());
    assertEquals("Basic realm=\"registry-cache\", charset=\"UTF-8\"", ping.headers().firstValue("WWW-Authenticate")
        .orElse(null), "containers/image sends credentials only where the ping challenged");
    assertEquals(200, verifying.get("/v2/", "Authorization", basic("", "")).statusCode(), "what podman sends without any");
    assertEquals(200, verifying.get("/v2/", "Authorization", ALICE).statusCode());

    CacheClient shared = new CacheClient(start(setup().registry("docker.io", upstream.url(), "robot", "pw")).address());
    assertEquals(200, shared.get("/v2/").statusCode(), "with shared credentials nothing is checked per client");
  }

  @Test
  void bypassLeavesPrivateContentToTheRuntime() throws Exception {
    FakeUpstream upstream = upstream();
    upstream.privateRepository(PRIVATE, "alice:alice-pw");
    Image image = push(upstream, PRIVATE, "private", 4);
    CacheApplication cache = start(setup().registry(new RegistryConfig("docker.io", upstream.url(), null, null,
        null, null, null, null, RegistryConfig.BYPASS, null)));
    HttpResponse<byte[]> r = new CacheClient(cache.address()).get("/v2/" + PRIVATE + "/blobs/" + image.layerDigest(),
        "Authorization", ALICE);
    assertRefused(r, 403, image.layer());
    assertNull(r.headers().firstValue("WWW-Authenticate").orElse(null));
    assertTrue(upstream.requests().stream().noneMatch(q -> ALICE.equals(q.header("Authorization"))),
        "a client's credentials never go upstream");
  }
}
