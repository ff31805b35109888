package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.server.CacheApplication;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Passwords, the Basic credentials made of them, tokens and pre-signed URL signatures never
 * appear in a log line, in an error a client gets or in a metric (names, labels, values),
 * whatever the auth flow and however it fails.
 */
class NoSecretsInLogsTest extends CacheTestBase {
  private static final String REPO = "library/app";
  private static final String PASSWORD = "pw-Secret-4f2a";
  private static final String WRONG_PASSWORD = "wrong-Secret-91c";
  private static final String FILE_PASSWORD = "file-Secret-77d";
  private static final String SIGNATURE = "sig-Secret-0b3";

  private static String basic(String user, String password) {
    return Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void authFlowsAndTheirFailuresLeakNothing() throws Exception {
    FakeUpstream hub = upstream();
    hub.requireBearerToken();
    FakeUpstream quay = upstream();
    quay.requireBasic("alice", PASSWORD);
    FakeUpstream gitlab = upstream();
    gitlab.requireBasic("carol", PASSWORD);
    FakeUpstream k8s = upstream();
    FakeUpstream artifacts = upstream();
    artifacts.requireBearerToken();
    Path passwordFile = Files.writeString(tmp.resolve("pw"), FILE_PASSWORD + "\n");

    List<String> answers = new ArrayList<>();
    String logged;
    try (OutputCapture capture = new OutputCapture()) {
      CacheApplication cache = start(setup()
          .registry("docker.io", hub.url(), "bob", PASSWORD)
          .registry("quay.io", quay.url(), "alice", WRONG_PASSWORD)
          .registryWithPasswordFile("registry.gitlab.com", gitlab.url(), "carol", passwordFile)
          .registry("registry.k8s.io", k8s.url(), "dave", PASSWORD));
      CacheClient client = new CacheClient(cache.address());

      // Bearer with credentials: a manifest and a blob, then a redirect loop through signed URLs
      hub.manifest(REPO, "v1", TestContent.OCI_MANIFEST, TestContent.manifest(TestContent.OCI_MANIFEST, "s"));
      String ok = hub.blob(REPO, TestContent.random(3000, 61));
      String looping = hub.blob(REPO, TestContent.random(3000, 62));
      hub.behave(blobPath(REPO, looping),
          UpstreamBehavior.redirect(hub.url() + blobPath(REPO, looping) + "?X-Amz-Signature=" + SIGNATURE));
      answers.add(expect(200, client.get("/v2/" + REPO + "/manifests/v1")));
      answers.add(expect(200, client.get("/v2/" + REPO + "/blobs/" + ok)));
      HttpResponse<byte[]> loop = client.get("/v2/" + REPO + "/blobs/" + looping);
      assertTrue(loop.statusCode() >= 500, "a redirect loop is upstream trouble: " + loop.statusCode());
      answers.add(new String(loop.body(), StandardCharsets.UTF_8));

      // Basic refused (a wrong password, a password file the upstream does not accept)
      quay.manifest("org/app", "v1", TestContent.OCI_MANIFEST, TestContent.manifest(TestContent.OCI_MANIFEST, "q"));
      answers.add(expect(403, client.get("/v2/quay.io/org/app/manifests/v1")));
      String g = gitlab.blob("group/app", TestContent.random(100, 63));
      answers.add(expect(403, client.get("/v2/group/app/blobs/" + g + "?ns=registry.gitlab.com")));

      // a redirect target's own anonymous token
      String layer = artifacts.blob("prod/pause", TestContent.random(2000, 64));
      k8s.behave(blobPath("pause", layer), UpstreamBehavior.redirect(artifacts.url() + blobPath("prod/pause", layer)));
      answers.add(expect(200, client.get("/v2/pause/blobs/" + layer + "?ns=registry.k8s.io")));
      answers.add(exposition(cache));
      logged = capture.text();
    }

    assertTrue(logged.contains("too many redirects"), "the capture holds the log lines: " + logged);
    assertTrue(hub.requestsTo("/token").get(0).header("Authorization").equals("Basic " + basic("bob", PASSWORD)),
        "the credentials were in use");
    String everything = logged + String.join("\n", answers);
    for (String secret : new String[] {PASSWORD, WRONG_PASSWORD, FILE_PASSWORD, SIGNATURE,
        basic("bob", PASSWORD), basic("alice", WRONG_PASSWORD), basic("carol", FILE_PASSWORD),
        basic("dave", PASSWORD), "tok-1", "tok-2", "Bearer ", "Basic "}) {
      assertFalse(everything.contains(secret), secret + " appears in:\n" + everything);
    }
  }

  /** The proxy's login, from a password file and from the proxy URL, accepted and refused: nowhere to be read. */
  @Test
  void theProxysLoginLeaksNothing() throws Exception {
    ForwardingProxy proxy = closeAfter(new ForwardingProxy(java.util.Map.of("registry.test", "127.0.0.1")));
    proxy.requireCredentials("squid", FILE_PASSWORD);
    FakeUpstream plain = upstream();
    plain.calledAs("registry.test"); // a name only the proxy resolves
    Path passwordFile = Files.writeString(tmp.resolve("proxy-pw"), FILE_PASSWORD + "\n");
    String urlWithLogin = "http://squid:" + PASSWORD + "@127.0.0.1:" + proxy.port();
    List<String> answers = new ArrayList<>();
    String logged;
    try (OutputCapture capture = new OutputCapture()) {
      CacheApplication cache = start(setup().registry("docker.io", plain.url())
          .proxy(new dev.registrycache.config.UpstreamProxy(proxy.url(), proxy.url(), null, "squid",
              passwordFile.toString())));
      String digest = plain.blob(REPO, TestContent.random(2000, 63));
      answers.add(expect(200, new CacheClient(cache.address()).get("/v2/" + REPO + "/blobs/" + digest)));
      String other = plain.blob(REPO, TestContent.random(2000, 64));
      CacheApplication withUrl = start(setup().registry("docker.io", plain.url())
          .proxy(new dev.registrycache.config.UpstreamProxy(urlWithLogin, urlWithLogin, null)));
      answers.add(expect(503, new CacheClient(withUrl.address()).get("/v2/" + REPO + "/blobs/" + other)));
      answers.add(exposition(cache));
      answers.add(exposition(withUrl));
      logged = capture.text();
    }
    assertTrue(proxy.authorizations().contains("Basic " + basic("squid", FILE_PASSWORD)), "the login was sent");
    String everything = logged + String.join("\n", answers);
    assertTrue(everything.contains("proxy"), everything);
    for (String secret : new String[] {PASSWORD, FILE_PASSWORD, basic("squid", FILE_PASSWORD),
        basic("squid", PASSWORD), "Basic "}) {
      assertFalse(everything.contains(secret), secret + " appears in:\n" + everything);
    }
  }

  /**
   * A client's own credentials (private content), accepted and refused: not in a log line, an
   * answer, a metric, nor anywhere in the storage (the access log writes no request header).
   */
  @Test
  void aClientsOwnCredentialsLeaveNoTrace() throws Exception {
    FakeUpstream hub = upstream();
    hub.privateRepository("team/app", "erin:" + PASSWORD);
    hub.manifest("team/app", "v1", TestContent.OCI_MANIFEST, TestContent.manifest(TestContent.OCI_MANIFEST, "p"));
    String layer = hub.blob("team/app", TestContent.random(3000, 65));
    List<String> answers = new ArrayList<>();
    String logged;
    try (OutputCapture capture = new OutputCapture()) {
      CacheApplication cache = start(setup().registry("docker.io", hub.url()));
      CacheClient client = new CacheClient(cache.address());
      String right = "Basic " + basic("erin", PASSWORD);
      answers.add(expect(200, client.get("/v2/team/app/manifests/v1", "Authorization", right)));
      answers.add(expect(200, client.get("/v2/team/app/blobs/" + layer, "Authorization", right)));
      answers.add(expect(401, client.get("/v2/team/app/blobs/" + layer, "Authorization",
          "Basic " + basic("erin", WRONG_PASSWORD))));
      answers.add(expect(401, client.get("/v2/team/app/blobs/" + layer)));
      answers.add(exposition(cache));
      logged = capture.text();
    }
    assertTrue(hub.requestsTo(blobPath("team/app", layer)).stream()
        .anyMatch(r -> ("Basic " + basic("erin", PASSWORD)).equals(r.header("Authorization"))), "they were used");
    StringBuilder stored = new StringBuilder();
    try (var files = Files.walk(storage())) {
      for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        stored.append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)).append(f).append('\n');
      }
    }
    String everything = logged + String.join("\n", answers) + stored;
    for (String secret : new String[] {PASSWORD, WRONG_PASSWORD, basic("erin", PASSWORD),
        basic("erin", WRONG_PASSWORD), "Basic ZXJp"}) {
      assertFalse(everything.contains(secret), secret + " appears in:\n" + everything);
    }
  }

  /** Everything /metrics serves. */
  private static String exposition(CacheApplication cache) {
    String text = ((io.micrometer.prometheusmetrics.PrometheusMeterRegistry) cache.metrics().registry()).scrape();
    assertTrue(text.contains("registry_cache_upstream_request_duration_seconds_count"), text);
    return text;
  }

  private static String expect(int status, HttpResponse<byte[]> r) {
    String body = new String(r.body(), StandardCharsets.UTF_8);
    assertEquals(status, r.statusCode(), body);
    return status == 200 ? "" : body;
  }
}
