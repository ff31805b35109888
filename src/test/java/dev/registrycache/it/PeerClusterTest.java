package dev.registrycache.it;

import static dev.registrycache.it.FakeUpstream.blobPath;
import static dev.registrycache.it.FakeUpstream.manifestPath;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.config.HostPort;
import dev.registrycache.config.PeersConfig;
import dev.registrycache.server.CacheApplication;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Three caches as three nodes (one loopback address each, a peers file as their list): a blob
 * every node's clients ask for at once is fetched from upstream once, by its owner, and every
 * node stores it; only the caches with the shared token may use a peer endpoint; an owner that is
 * not there or breaks off costs time, never a client's error or a wrong byte.
 */
class PeerClusterTest extends CacheTestBase {
  private static final String REPO = "library/app";
  private static final String TOKEN = "peer-token-3f9a";
  private static final int PEER_PORT = 15433;
  private static final String[] NODES = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Path peersFile(String... hosts) throws Exception {
    StringBuilder sb = new StringBuilder("# name host:port zone\n");
    for (String h : hosts) {
      sb.append("node-").append(h.substring(h.lastIndexOf('.') + 1)).append(' ').append(h).append(':')
          .append(PEER_PORT).append('\n');
    }
    Path f = tmp.resolve("peers-" + System.nanoTime());
    Files.writeString(f, sb);
    return f;
  }

  private List<CacheApplication> cluster(FakeUpstream upstream, Path peers, String... hosts) throws Exception {
    return cluster(upstream, peers, s -> s, hosts);
  }

  private List<CacheApplication> cluster(FakeUpstream upstream, Path peers, UnaryOperator<CacheSetup> more,
      String... hosts) throws Exception {
    Path token = tmp.resolve("token");
    Files.writeString(token, TOKEN + "\n");
    List<CacheApplication> out = new ArrayList<>();
    for (String h : hosts) {
      out.add(start(more.apply(new CacheSetup(tmp.resolve("storage-" + h))).registry("docker.io", upstream.url())
          .peers(new PeersConfig(new HostPort(h, PEER_PORT), null, null, peers, token, null, Duration.ofMillis(200),
              Duration.ofSeconds(30)))));
    }
    return out;
  }

  private static CompletableFuture<HttpResponse<byte[]>> pull(CacheApplication cache, String digest) {
    return CompletableFuture.supplyAsync(() -> new CacheClient(cache.address()).get("/v2/" + REPO + "/blobs/" + digest));
  }

  private static double fetches(CacheApplication cache, String result) {
    return cache.metrics().count("peer_fetches", "result", result);
  }

  @Test
  void aBlobAllNodesWantAtOnceIsFetchedFromUpstreamOnce() throws Exception {
    FakeUpstream upstream = upstream();
    byte[] content = TestContent.random(3 << 20, 301);
    String digest = upstream.blob(REPO, content);
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.throttled(256 << 10, Duration.ofMillis(20)));
    List<CacheApplication> caches = cluster(upstream, peersFile(NODES), NODES);

    List<CompletableFuture<HttpResponse<byte[]>>> pulls = new ArrayList<>();
    for (CacheApplication c : caches) {
      for (int i = 0; i < 3; i++) {
        pulls.add(pull(c, digest));
      }
    }
    for (var f : pulls) {
      HttpResponse<byte[]> r = f.get();
      assertEquals(200, r.statusCode());
      assertArrayEquals(content, r.body(), "every client gets the right bytes");
    }
    assertEquals(1, upstream.count("GET", blobPath(REPO, digest)), "one upstream fetch for the cluster");
    for (CacheApplication c : caches) {
      awaitIndexed(c, digest);
    }
    assertEquals(2, caches.stream().mapToDouble(c -> fetches(c, "fetched"))
        .sum(), "the two other nodes got it from its owner");
  }

  /**
   * A tag every node's clients ask for at once: its owner asks upstream once and the others get
   * it from the owner. After the tag TTL every node confirms it again, through the owner: one
   * HEAD upstream for the cluster. A tag upstream does not know is asked for once as well.
   */
  @Test
  void aTagAllNodesWantAtOnceIsAskedUpstreamOncePerTtl() throws Exception {
    FakeUpstream upstream = upstream();
    byte[] manifest = TestContent.manifest(TestContent.OCI_MANIFEST, "peers-v1");
    String digest = upstream.manifest(REPO, "v1", TestContent.OCI_MANIFEST, manifest);
    Duration ttl = Duration.ofSeconds(2);
    List<CacheApplication> caches = cluster(upstream, peersFile(NODES), s -> s.tagTtl(ttl), NODES);

    for (int round = 0; round < 2; round++) {
      List<CompletableFuture<HttpResponse<byte[]>>> gets = new ArrayList<>();
      for (CacheApplication c : caches) {
        for (int i = 0; i < 3; i++) {
          gets.add(CompletableFuture.supplyAsync(() -> new CacheClient(c.address()).get("/v2/" + REPO + "/manifests/v1",
              "Accept", TestContent.OCI_MANIFEST)));
        }
      }
      for (var f : gets) {
        HttpResponse<byte[]> r = f.get();
        assertEquals(200, r.statusCode());
        assertArrayEquals(manifest, r.body());
        assertEquals(digest, r.headers().firstValue("Docker-Content-Digest").orElse(null));
        assertEquals(TestContent.OCI_MANIFEST, r.headers().firstValue("Content-Type").orElse(null));
        assertTrue(r.headers().firstValue("Age").isEmpty(), "clients get what upstream sends, no Age");
      }
      assertEquals(1, upstream.count("GET", manifestPath(REPO, "v1")), "one GET for the cluster: " + upstream.requests());
      assertEquals(round, upstream.count("HEAD", manifestPath(REPO, "v1")), "one HEAD per TTL for the cluster");
      Thread.sleep(ttl.toMillis() + 1_100); // past every node's TTL (Age counts whole seconds)
    }
    assertEquals(4, caches.stream().mapToDouble(c -> c.metrics().count("peer_fetches", "kind", "manifest",
        "result", "fetched")).sum(), "the two other nodes asked the owner, once a round each");

    for (CacheApplication c : caches) {
      assertEquals(404, new CacheClient(c.address()).get("/v2/" + REPO + "/manifests/nope").statusCode());
    }
    assertEquals(1, upstream.count("GET", manifestPath(REPO, "nope")), "an unknown tag asked for once");
  }

  @Test
  void onlyTheCachesWithTheTokenMayUseThePeerEndpoint() throws Exception {
    FakeUpstream upstream = upstream();
    String digest = upstream.blob(REPO, TestContent.random(4096, 302));
    cluster(upstream, peersFile(NODES[0]), NODES[0]);
    String url = "http://" + NODES[0] + ":" + PEER_PORT + "/v2/docker.io/" + REPO + "/blobs/" + digest;
    HttpResponse<String> none = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, none.statusCode(), none.body());
    assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer realm="));
    assertTrue(none.body().contains("UNAUTHORIZED"), none.body());
    HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer nope")
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(401, wrong.statusCode());
    assertEquals(0, upstream.count("GET", blobPath(REPO, digest)), "nothing fetched for a stranger");
    HttpResponse<byte[]> ok = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + TOKEN)
        .build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, ok.statusCode());
    HttpResponse<String> tags = http.send(HttpRequest.newBuilder(URI.create("http://" + NODES[0] + ":" + PEER_PORT
        + "/v2/docker.io/" + REPO + "/tags/list")).header("Authorization", "Bearer " + TOKEN).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(405, tags.statusCode(), "blobs and manifests only: " + tags.body());
  }

  @Test
  void anOwnerThatIsNotThereCostsOneConnectTimeoutAndIsSkippedAfterwards() throws Exception {
    FakeUpstream upstream = upstream();
    // the peers file names a node that runs no cache: whatever it owns is fetched upstream
    List<CacheApplication> caches = cluster(upstream, peersFile(NODES), NODES[0]);
    CacheApplication only = caches.get(0);
    int fetched = 0;
    for (int i = 0; i < 12; i++) {
      byte[] content = TestContent.random(2048, 310 + i);
      String digest = upstream.blob(REPO, content);
      long t0 = System.nanoTime();
      HttpResponse<byte[]> r = pull(only, digest).get();
      assertEquals(200, r.statusCode());
      assertArrayEquals(content, r.body());
      assertTrue((System.nanoTime() - t0) / 1_000_000 < 5_000, "bounded: a connect timeout at most");
      fetched += upstream.count("GET", blobPath(REPO, digest));
    }
    assertEquals(12, fetched, "each blob once, from upstream");
    double unreachable = fetches(only, "unreachable");
    assertTrue(unreachable >= 1 && unreachable <= 2, "each missing peer tried once, then skipped: " + unreachable);
  }

  @Test
  void anOwnerThatBreaksOffHalfwayCostsTheClientsNothing() throws Exception {
    FakeUpstream upstream = upstream();
    byte[] content = TestContent.random(2 << 20, 320);
    String digest = upstream.blob(REPO, content);
    Path peers = peersFile(NODES[0], NODES[1]);
    List<CacheApplication> caches = cluster(upstream, peers, NODES[0], NODES[1]);
    // which node owns the blob decides who asks whom
    var owner = dev.registrycache.peer.Rendezvous.owner(digest, List.of(
        new dev.registrycache.peer.Peer("node-2", NODES[0], PEER_PORT, ""),
        new dev.registrycache.peer.Peer("node-3", NODES[1], PEER_PORT, ""))).orElseThrow();
    CacheApplication ownerCache = caches.get(owner.host().equals(NODES[0]) ? 0 : 1);
    CacheApplication asker = caches.get(owner.host().equals(NODES[0]) ? 1 : 0);
    CountDownLatch half = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.gated(half, never));
    CompletableFuture<HttpResponse<byte[]>> r = pull(asker, digest);
    assertTrue(half.await(10, java.util.concurrent.TimeUnit.SECONDS), "the owner is halfway");
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.RANGED); // upstream is fine again for the rest
    ownerCache.close(); // the owner goes away in the middle
    HttpResponse<byte[]> got = r.get();
    assertEquals(200, got.statusCode());
    assertArrayEquals(content, got.body(), "the rest came from upstream: the right bytes, no error");
    assertEquals(1, fetches(asker, "broke"));
    assertTrue(upstream.requestsTo(blobPath(REPO, digest)).stream()
        .anyMatch(q -> q.header("Range") != null && q.header("Range").startsWith("bytes=")), "asked for the rest only");
    never.countDown();
  }

  /**
   * Three nodes; the blob's owner goes away halfway through sending it. The node that asked it
   * turns to the blob's next owner (not to upstream), which fetches the blob itself: upstream
   * sees the first owner's broken GET and the next owner's, and no request for a part of it.
   */
  @Test
  void aVanishedOwnerIsReplacedByTheNextOwnerNotByUpstream() throws Exception {
    FakeUpstream upstream = upstream();
    byte[] content = TestContent.random(2 << 20, 330);
    String digest = upstream.blob(REPO, content);
    Path peers = peersFile(NODES);
    List<CacheApplication> caches = cluster(upstream, peers, NODES);
    List<dev.registrycache.peer.Peer> all = new ArrayList<>();
    for (String h : NODES) {
      all.add(new dev.registrycache.peer.Peer("node-" + h.substring(h.lastIndexOf('.') + 1), h, PEER_PORT, ""));
    }
    var first = dev.registrycache.peer.Rendezvous.owner(digest, all).orElseThrow();
    List<dev.registrycache.peer.Peer> rest = new ArrayList<>(all);
    rest.remove(first);
    var second = dev.registrycache.peer.Rendezvous.owner(digest, rest).orElseThrow();
    rest.remove(second);
    CacheApplication ownerCache = caches.get(all.indexOf(first));
    CacheApplication asker = caches.get(all.indexOf(rest.get(0)));
    CacheApplication next = caches.get(all.indexOf(second));
    CountDownLatch half = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    closeAfter(never::countDown);
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.gated(half, never));
    CompletableFuture<HttpResponse<byte[]>> r = pull(asker, digest);
    assertTrue(half.await(10, java.util.concurrent.TimeUnit.SECONDS), "the owner is halfway");
    upstream.behave(blobPath(REPO, digest), UpstreamBehavior.RANGED); // upstream is fine again
    ownerCache.close(); // the owner goes away in the middle

    HttpResponse<byte[]> got = r.get(CacheClient.TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(200, got.statusCode());
    assertArrayEquals(content, got.body(), "the right bytes, no error");
    assertEquals(1, fetches(asker, "fetched-from-next-owner"), "the rest came from the next owner");
    var gets = upstream.requestsTo(blobPath(REPO, digest));
    assertEquals(2, gets.size(), "the first owner's GET and the next owner's: " + gets);
    assertTrue(gets.stream().noneMatch(q -> q.header("Range") != null), "nobody asked upstream for a part");
    awaitTrue("the next owner keeps it", () -> next.index().peek(dev.registrycache.oci.Digest.parse(digest)) != null);
  }
}
