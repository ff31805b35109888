package dev.registrycache.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.server.CacheApplication;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests a pull-through cache must refuse with the spec's error code as JSON, without asking
 * upstream and without touching anything outside its storage directory.
 */
class MalformedRequestTest extends CacheTestBase {
  private static final String SECRET = "top-secret-outside-storage";
  private static final Duration WAIT = Duration.ofSeconds(10);
  private FakeUpstream upstream;
  private CacheApplication cache;
  private CacheClient client;

  @BeforeEach
  void startCache() throws Exception {
    upstream = upstream();
    cache = start(setup().registry("docker.io", upstream.url()).registry("quay.io", upstream.url()));
    client = new CacheClient(cache.address());
    // a file a traversal out of the storage directory could reach: tmp/secret, tmp/storage/..
    Files.writeString(tmp.resolve("secret"), SECRET);
    Files.writeString(tmp.resolve("passwd"), SECRET);
  }

  @Test
  void invalidNamesAreNameInvalid() {
    for (String target : new String[] {"/v2/Library/App/manifests/latest", "/v2/library/a..b/blobs/"
        + TestContent.sha256(new byte[0]), "/v2/-bad/manifests/latest", "/v2/library/app_/tags/list"}) {
      HttpResponse<byte[]> r = client.get(target);
      assertEquals(400, r.statusCode(), target);
      assertEquals("NAME_INVALID", CacheClient.errorCode(r.body()), target);
    }
    assertEquals(0, upstream.total());
  }

  @Test
  void invalidBlobDigestsAreDigestInvalidAndImpossibleManifestReferencesUnknown() {
    for (String target : new String[] {"/v2/library/app/blobs/sha256:abc",
        "/v2/library/app/blobs/sha256:" + "G".repeat(64), "/v2/library/app/blobs/md5:"
        + "0".repeat(32), "/v2/library/app/blobs/latest"}) {
      HttpResponse<byte[]> r = client.get(target);
      assertEquals(400, r.statusCode(), target);
      assertEquals("DIGEST_INVALID", CacheClient.errorCode(r.body()), target);
    }
    // what the OCI conformance suite asks for a manifest that cannot exist
    for (String reference : new String[] {".INVALID_MANIFEST_NAME", "sha256:short", "-x"}) {
      HttpResponse<byte[]> r = client.get("/v2/library/app/manifests/" + reference);
      assertEquals(404, r.statusCode(), reference);
      assertEquals("MANIFEST_UNKNOWN", CacheClient.errorCode(r.body()), reference);
    }
    assertEquals(0, upstream.total());
  }

  @ParameterizedTest
  @CsvSource({
      "PUT, /v2/library/app/manifests/.INVALID_MANIFEST_NAME, 400, MANIFEST_INVALID",
      "PUT, /v2/Library/app/manifests/v1, 400, NAME_INVALID",
      "DELETE, /v2/library/app/manifests/sha256:short, 400, DIGEST_INVALID",
      "POST, /v2/library/app/blobs/uploads/?digest=sha256:nothex, 400, DIGEST_INVALID",
      "PATCH, /v2/library/app_/blobs/uploads/1234, 400, NAME_INVALID",
      "PUT, /v2/library/app/manifests/v1, 405, UNSUPPORTED",
      "OPTIONS, /v2/Library/app/manifests/.bad, 405, UNSUPPORTED"})
  void malformedPushesGetTheSpecsCodeAndTheRestIsUnsupported(String method, String target,
      int status, String code) {
    HttpResponse<byte[]> r = client.send(client.request(target)
        .method(method, HttpRequest.BodyPublishers.ofString("{\"schemaVersion\":2}")).build());
    assertEquals(status, r.statusCode(), method + " " + target);
    assertEquals(code, CacheClient.errorCode(r.body()), method + " " + target);
    assertEquals(0, upstream.total());
  }

  @ParameterizedTest
  @ValueSource(strings = {"PUT", "POST", "DELETE", "PATCH"})
  void writesAreUnsupported(String method) {
    for (String target : new String[] {"/v2/library/app/manifests/latest",
        "/v2/library/app/blobs/uploads/", "/v2/library/app/blobs/" + TestContent.sha256(new byte[0])}) {
      HttpRequest.BodyPublisher body = method.equals("DELETE") ? HttpRequest.BodyPublishers.noBody()
          : HttpRequest.BodyPublishers.ofString("{\"schemaVersion\":2}");
      HttpResponse<byte[]> r = client.send(client.request(target).method(method, body).build());
      assertEquals(405, r.statusCode(), method + " " + target);
      assertEquals("UNSUPPORTED", CacheClient.errorCode(r.body()));
      assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(null));
      assertEquals("GET, HEAD", r.headers().firstValue("Allow").orElse(null));
    }
    assertEquals(0, upstream.total());
  }

  @Test
  void oversizedRequestLinesAndHeadersGetTheirStatusAndAnOciBody() throws Exception {
    RawHttp.Response line = RawHttp.get(cache.address(), "/v2/library/" + "a".repeat(9000) + "/manifests/v1", WAIT);
    assertEquals(414, line.status());
    assertTrue(new String(line.body()).contains("request line is longer than"), new String(line.body()));
    RawHttp.Response headers = RawHttp.exchange(cache.address(), "GET", "/v2/", WAIT,
        java.util.List.of("X-Big: " + "b".repeat(8000), "X-Big2: " + "b".repeat(9000)));
    assertEquals(431, headers.status());
    String body = new String(headers.body());
    assertEquals("UNSUPPORTED", CacheClient.errorCode(headers.body()));
    assertTrue(!body.contains("Exception") && !body.contains("io.netty"), body);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "/v2/../../etc/passwd/manifests/x",
      "/v2/%2e%2e/%2e%2e/secret/manifests/x",
      "/v2/library/%2e%2e/%2e%2e/%2e%2e/secret/manifests/latest",
      "/v2/library/app/manifests/..%2F..%2F..%2F..%2Fsecret",
      "/v2/library/app/blobs/..%2F..%2F..%2Fsecret",
      "/v2/library/app/blobs/sha256:..%2F..%2F..%2F..%2Fsecret",
      "/v2/library%2F..%2F..%2F..%2Fsecret/tags/list",
      "/../../../secret/v2/library/app/manifests/latest",
      "/v2/..%2f..%2f..%2fpasswd/manifests/latest?ns=docker.io",
      "/v2/library/app/manifests/latest?ns=..%2F..%2Fsecret",
      "/v2/library/app/manifests/latest?ns=%2e%2e",
      "/v2/_catalog/../../secret",
      "/v2/library/app/manifests/%00latest"})
  void traversalAttemptsAreRefusedAndReadNothingOutsideStorage(String target) throws Exception {
    RawHttp.Response r = RawHttp.get(cache.address(), target, WAIT);
    assertTrue(r.status() >= 400 && r.status() < 500, target + " -> " + r.status());
    String body = new String(r.body(), StandardCharsets.UTF_8);
    assertFalse(body.contains(SECRET), body);
    assertFalse(body.contains("root:"), body);
    assertNotNull(CacheClient.errorCode(r.body()), "an OCI error body: " + body);
    assertEquals(0, upstream.total(), "nothing asked upstream for " + target);
    try (var files = Files.walk(tmp)) {
      assertEquals(2, files.filter(Files::isRegularFile).filter(p -> !p.startsWith(storage())).count(),
          "nothing written outside the storage directory");
    }
    assertTrue(Files.readString(tmp.resolve("secret")).equals(SECRET));
  }

  @Test
  void unknownRegistryIsNameUnknown() {
    for (String target : new String[] {"/v2/library/app/manifests/latest?ns=unknown.example",
        "/v2/library/app/blobs/" + TestContent.sha256(new byte[0]) + "?ns=unknown.example",
        "/v2/library/app/tags/list?ns=unknown.example", "/unknown.example/v2/library/app/manifests/latest",
        "/not-the-api"}) {
      HttpResponse<byte[]> r = client.get(target);
      assertEquals(404, r.statusCode(), target);
      assertEquals("NAME_UNKNOWN", CacheClient.errorCode(r.body()), target);
    }
    assertEquals(0, upstream.total());
    assertFalse(Files.exists(storage().resolve("repositories").resolve("unknown.example")));
  }

  @Test
  void aBadRequestDoesNotSpoilTheConnection() throws Exception {
    byte[] blob = TestContent.random(1000, 21);
    String digest = upstream.blob("library/app", blob);
    assertEquals(400, client.get("/v2/library/app/blobs/sha256:nope").statusCode());
    HttpResponse<byte[]> ok = client.get("/v2/library/app/blobs/" + digest);
    assertEquals(200, ok.statusCode());
    assertEquals(digest, TestContent.sha256(ok.body()));
    Path stored = storedFile(digest);
    assertTrue(stored.startsWith(storage()));
  }
}
