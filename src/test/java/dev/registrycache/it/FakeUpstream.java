package dev.registrycache.it;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.registrycache.testing.Schema1Manifests;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A registry the tests control, on {@code 127.0.0.1} and an ephemeral port: it serves the blobs,
 * manifests and tag lists registered with it, answers each path the way a test asks
 * ({@link UpstreamBehavior}), can demand an anonymous Bearer token or Basic credentials, and
 * records every request it receives.
 */
final class FakeUpstream implements AutoCloseable {
  static final String OCTET_STREAM = "application/octet-stream";

  /** A request as received: the raw path (no query) and a copy of its headers. */
  record Recorded(String method, String path, String query, Headers headers) {
    String header(String name) {
      return headers.getFirst(name);
    }
  }

  private record Content(byte[] body, String contentType, String digest, Map<String, String> extra) {}

  private enum AuthMode { NONE, BEARER, BASIC }

  private final HttpServer server;
  private final String scheme;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final Map<String, Content> content = new ConcurrentHashMap<>();
  private final Map<String, UpstreamBehavior> behaviors = new ConcurrentHashMap<>();
  private final List<Recorded> requests = new CopyOnWriteArrayList<>();
  private final CountDownLatch closing = new CountDownLatch(1);
  private final Map<String, String> tokenScopes = new ConcurrentHashMap<>();
  private final AtomicInteger issuedTokens = new AtomicInteger();
  private final AtomicInteger conversions = new AtomicInteger();
  private volatile AuthMode auth = AuthMode.NONE;
  private volatile String basicCredentials;
  private final java.util.Map<String, java.util.Set<String>> privateRepositories =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.Map<String, java.util.Set<String>> tokenPrivateRepositories =
      new java.util.concurrent.ConcurrentHashMap<>();
  private volatile String host = "127.0.0.1";
  private volatile String tokenHost;

  private FakeUpstream(javax.net.ssl.SSLContext tls) throws IOException {
    InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    if (tls != null) {
      com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(at, 128);
      https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
      server = https;
    } else {
      server = HttpServer.create(at, 128);
    }
    scheme = tls != null ? "https" : "http";
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    content.put("/v2/", new Content("{}".getBytes(StandardCharsets.UTF_8), "application/json",
        null, Map.of()));
    server.start();
  }

  static FakeUpstream start() throws IOException {
    return new FakeUpstream(null);
  }

  /** The same registry over https, with the server certificate {@code tls} holds. */
  static FakeUpstream startHttps(javax.net.ssl.SSLContext tls) throws IOException {
    return new FakeUpstream(tls);
  }

  String url() {
    return scheme + "://" + host + ":" + port();
  }

  /**
   * From now on, names itself {@code name} in {@link #url()} and its token realm (it still
   * listens on 127.0.0.1): an upstream reached through a proxy that knows the name.
   */
  void calledAs(String name) {
    this.host = name;
  }

  /**
   * From now on, its Bearer challenge names a token realm on host {@code name} (this server's
   * port), as Docker Hub's points at {@code auth.docker.io}.
   */
  void tokenServiceCalled(String name) {
    this.tokenHost = name;
  }

  int port() {
    return server.getAddress().getPort();
  }

  // ---- content ----

  /** Serves {@code bytes} as a blob of {@code repo}; returns its digest. */
  String blob(String repo, byte[] bytes) {
    String digest = TestContent.sha256(bytes);
    content.put(blobPath(repo, digest), new Content(bytes, OCTET_STREAM, digest, Map.of()));
    return digest;
  }

  /** Serves a manifest under its tag and its digest; returns the digest. */
  String manifest(String repo, String tag, String mediaType, byte[] bytes) {
    String digest = TestContent.sha256(bytes);
    Content c = new Content(bytes, mediaType, digest, Map.of());
    content.put(manifestPath(repo, digest), c);
    if (tag != null) {
      content.put(manifestPath(repo, tag), c);
    }
    return digest;
  }

  /** Serves {@code json} at {@code /v2/REPO/tags/list}, with a {@code Link} header when given. */
  void tagList(String repo, String json, String link) {
    content.put("/v2/" + repo + "/tags/list", new Content(json.getBytes(StandardCharsets.UTF_8),
        "application/json", null, link == null ? Map.of() : Map.of("Link", link)));
  }

  /** Serves {@code bytes} at an arbitrary path (the target of a redirect, say). */
  void raw(String path, byte[] bytes) {
    content.put(path, new Content(bytes, OCTET_STREAM, null, Map.of()));
  }

  static String blobPath(String repo, String digest) {
    return "/v2/" + repo + "/blobs/" + digest;
  }

  static String manifestPath(String repo, String reference) {
    return "/v2/" + repo + "/manifests/" + reference;
  }

  /** From now on, answers {@code path} this way (until {@link #normal}). */
  void behave(String path, UpstreamBehavior behavior) {
    behaviors.put(path, behavior);
  }

  void normal(String path) {
    behaviors.remove(path);
  }

  // ---- authentication ----

  /** Every {@code /v2/} request needs a token from {@code /token} for its repository's scope. */
  void requireBearerToken() {
    auth = AuthMode.BEARER;
  }

  /** Every {@code /v2/} request needs these Basic credentials. */
  void requireBasic(String user, String password) {
    basicCredentials = "Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    auth = AuthMode.BASIC;
  }

  /**
   * Requests for {@code repo} need Basic credentials of one of {@code userColonPasswords} (like a
   * registry's private project); other repositories stay as they are (anonymous by default).
   */
  void privateRepository(String repo, String... userColonPasswords) {
    java.util.Set<String> accepted = new java.util.HashSet<>();
    for (String up : userColonPasswords) {
      accepted.add("Basic " + Base64.getEncoder().encodeToString(up.getBytes(StandardCharsets.UTF_8)));
    }
    privateRepositories.put(repo, accepted);
  }

  /**
   * With {@link #requireBearerToken}: the token service gives a token for {@code repo} only to
   * these Basic credentials ({@code 401} to others), and an anonymous one that grants nothing.
   */
  void privateRepositoryBehindTokens(String repo, String... userColonPasswords) {
    java.util.Set<String> accepted = new java.util.HashSet<>();
    for (String up : userColonPasswords) {
      accepted.add("Basic " + Base64.getEncoder().encodeToString(up.getBytes(StandardCharsets.UTF_8)));
    }
    tokenPrivateRepositories.put(repo, accepted);
  }

  // ---- what was received ----

  List<Recorded> requests() {
    return List.copyOf(requests);
  }

  List<Recorded> requestsTo(String path) {
    return requests.stream().filter(r -> r.path().equals(path)).toList();
  }

  int count(String method, String path) {
    return (int) requests.stream()
        .filter(r -> r.method().equals(method) && r.path().equals(path)).count();
  }

  int total() {
    return requests.size();
  }

  int tokenRequests() {
    return (int) requests.stream().filter(r -> r.path().equals("/token")).count();
  }

  // ---- serving ----

  private void handle(HttpExchange ex) throws IOException {
    try {
      String path = ex.getRequestURI().getRawPath();
      Headers copy = new Headers();
      copy.putAll(ex.getRequestHeaders());
      requests.add(new Recorded(ex.getRequestMethod(), path, ex.getRequestURI().getRawQuery(), copy));
      boolean head = ex.getRequestMethod().equals("HEAD");
      if (path.equals("/token")) {
        issueToken(ex);
        return;
      }
      if (!authorized(ex, path, head)) {
        return;
      }
      Content c = content.get(path);
      if (c != null && path.contains("/manifests/")) {
        c = negotiate(path, c, ex.getRequestHeaders().get("Accept"));
        if (c == null) {
          new UpstreamBehavior.Reply(ex, null, null, null, head, closing).error(404, "MANIFEST_UNKNOWN");
          return;
        }
      }
      if (c != null) {
        c.extra().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
      }
      UpstreamBehavior b = behaviors.getOrDefault(path, UpstreamBehavior.NORMAL);
      b.respond(new UpstreamBehavior.Reply(ex, c == null ? null : c.body(),
          c == null ? null : c.contentType(), c == null ? null : c.digest(), head, closing));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    } finally {
      ex.close();
    }
  }

  /**
   * What distribution 2.8 answers for a manifest, by the request's Accept lines: an OCI
   * manifest or index not listed is a 404 (null here); by tag, a Docker manifest list not
   * listed becomes its linux/amd64 manifest, and a Docker schema 2 manifest not listed is
   * converted to a signed schema 1 manifest.
   */
  private Content negotiate(String path, Content c, List<String> acceptLines) {
    java.util.Set<String> accepted = new java.util.HashSet<>();
    for (String line : acceptLines == null ? List.<String>of() : acceptLines) {
      for (String entry : line.split(",")) {
        int semi = entry.indexOf(';');
        accepted.add((semi >= 0 ? entry.substring(0, semi) : entry).trim());
      }
    }
    String reference = path.substring(path.lastIndexOf('/') + 1);
    boolean byTag = !reference.contains(":");
    String repo = path.substring(4, path.lastIndexOf("/manifests/"));
    String type = c.contentType();
    if ((type.equals(TestContent.OCI_MANIFEST) || type.equals(TestContent.OCI_INDEX)) && !accepted.contains(type)) {
      return null;
    }
    if (byTag && type.equals(TestContent.DOCKER_MANIFEST_LIST) && !accepted.contains(type)) {
      String amd64 = TestContent.platformDigest(c.body(), "amd64");
      Content platform = amd64 == null ? null : content.get(manifestPath(repo, amd64));
      if (platform == null) {
        return null;
      }
      c = platform;
      type = c.contentType();
    }
    if (byTag && type.equals(TestContent.DOCKER_MANIFEST) && !accepted.contains(type)) {
      conversions.incrementAndGet();
      byte[] payload = Schema1Manifests.payload(repo, reference, TestContent.sha256(c.body()));
      return new Content(Schema1Manifests.signed(payload), TestContent.DOCKER_SCHEMA1_SIGNED,
          TestContent.sha256(payload), c.extra());
    }
    return c;
  }

  /** How many manifests were converted to schema 1 because a request did not accept schema 2. */
  int schema1Conversions() {
    return conversions.get();
  }

  /** Serves a signed schema 1 manifest (an old image) under its tag and its payload digest. */
  String schema1Manifest(String repo, String tag, byte[] signed, byte[] payload) {
    String digest = TestContent.sha256(payload);
    Content c = new Content(signed, TestContent.DOCKER_SCHEMA1_SIGNED, digest, Map.of());
    content.put(manifestPath(repo, digest), c);
    content.put(manifestPath(repo, tag), c);
    return digest;
  }

  private boolean authorized(HttpExchange ex, String path, boolean head) throws IOException {
    String given = ex.getRequestHeaders().getFirst("Authorization");
    String repository = repositoryOf(path);
    java.util.Set<String> accepted = repository == null ? null : privateRepositories.get(repository);
    if (accepted != null) {
      if (given != null && accepted.contains(given)) {
        return true;
      }
      ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"fake\"");
      new UpstreamBehavior.Reply(ex, null, null, null, head, closing).error(401, "UNAUTHORIZED");
      return false;
    }
    switch (auth) {
      case NONE:
        return true;
      case BASIC:
        if (basicCredentials.equals(given)) {
          return true;
        }
        ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"fake\"");
        break;
      default:
        String repo = repositoryOf(path);
        String scope = repo == null ? null : "repository:" + repo + ":pull";
        String tokenScope = given != null && given.startsWith("Bearer ")
            ? tokenScopes.get(given.substring(7)) : null;
        if (tokenScope != null && (scope == null || scope.equals(tokenScope))) {
          return true;
        }
        String realm = tokenHost == null ? url() : scheme + "://" + tokenHost + ":" + port();
        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"" + realm
            + "/token\",service=\"fake\"" + (scope == null ? "" : ",scope=\"" + scope + "\""));
        break;
    }
    new UpstreamBehavior.Reply(ex, null, null, null, head, closing).error(401, "UNAUTHORIZED");
    return false;
  }

  private void issueToken(HttpExchange ex) throws IOException {
    String scope = null;
    String query = ex.getRequestURI().getRawQuery();
    for (String kv : query == null ? new String[0] : query.split("&")) {
      if (kv.startsWith("scope=")) {
        scope = URLDecoder.decode(kv.substring(6), StandardCharsets.UTF_8);
      }
    }
    String repo = scope != null && scope.startsWith("repository:") && scope.endsWith(":pull")
        ? scope.substring(11, scope.length() - 5) : null;
    java.util.Set<String> accepted = repo == null ? null : tokenPrivateRepositories.get(repo);
    if (accepted != null) {
      String given = ex.getRequestHeaders().getFirst("Authorization");
      if (given != null && !accepted.contains(given)) { // as Docker Hub: a wrong password is a 401 here
        new UpstreamBehavior.Reply(ex, null, null, null, false, closing).error(401, "UNAUTHORIZED");
        return;
      }
      if (given == null) {
        scope = ""; // an anonymous token, good for nothing private
      }
    }
    String token = "tok-" + issuedTokens.incrementAndGet();
    tokenScopes.put(token, scope == null ? "" : scope);
    byte[] json = ("{\"token\":\"" + token + "\",\"expires_in\":300}").getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(200, json.length);
    ex.getResponseBody().write(json);
  }

  private static String repositoryOf(String path) {
    if (!path.startsWith("/v2/")) {
      return null;
    }
    for (String marker : new String[] {"/manifests/", "/blobs/", "/tags/list"}) {
      int i = path.lastIndexOf(marker);
      if (i > 4) {
        return path.substring(4, i);
      }
    }
    return null;
  }

  /** Stops answering (connections are then refused); harmless when already closed. */
  @Override
  public void close() {
    if (closing.getCount() == 0) {
      return;
    }
    closing.countDown();
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
