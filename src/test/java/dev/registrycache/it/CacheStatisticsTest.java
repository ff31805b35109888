package dev.registrycache.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.api.v1alpha1.CacheStatistics;
import dev.registrycache.config.HostPort;
import dev.registrycache.metrics.AccessDecision;
import dev.registrycache.operator.statistics.CacheStatisticsGatherer;
import dev.registrycache.operator.statistics.CacheStatisticsGatherer.Target;
import dev.registrycache.server.CacheApplication;
import dev.registrycache.server.MetricsServer;
import dev.registrycache.upstream.UpstreamTls;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The operator's gathering against real caches (in process, each with its metrics port): the
 * hit ratio and bytes served from the disks over the window are the increases of the caches' own
 * counters, per registry and per node, and a cache that does not answer is counted as not
 * reporting. The caches require a token, as in a cluster: the gatherer sends the reader's.
 */
class CacheStatisticsTest extends CacheTestBase {
  private static final int SIZE = 100_000;

  @Test
  void theStatusNumbersAreTheIncreasesOfTheCachesOwnCounters() throws Exception {
    FakeUpstream upstream = upstream();
    CacheApplication a = cache(upstream, "a");
    CacheApplication b = cache(upstream, "b");
    String digest = upstream.blob("library/app", TestContent.random(SIZE, 7));
    String target = "/v2/library/app/blobs/" + digest;
    new CacheClient(a.address()).get(target); // before the first gathering: not in the window
    awaitIndexed(a, digest);

    CacheStatisticsGatherer gatherer = closeAfter(new CacheStatisticsGatherer(UpstreamTls.context(null, true),
        () -> "reader-token", true, null));
    List<Target> targets = List.of(target(a, "pod-a", "node-a"), target(b, "pod-b", "node-b"),
        new Target("kit", "pod-gone", "node-c", "127.0.0.1", 1, null));
    gatherer.track("kit", targets);
    assertNull(gatherer.summary("kit"), "nothing before the first gathering");
    gatherer.gather();
    CacheStatistics first = gatherer.summary("kit");
    assertEquals(0L, first.blobRequests, "what was counted before gathering began is not in the window");
    assertEquals(2, first.nodesReporting);
    assertEquals(1, first.nodesNotReporting, "the pod whose port answers nothing");

    CacheClient ca = new CacheClient(a.address());
    for (int i = 0; i < 11; i++) {
      assertEquals(200, ca.get(target).statusCode()); // 11 hits on node-a
    }
    CacheClient cb = new CacheClient(b.address());
    assertEquals(200, cb.get(target).statusCode()); // a miss on node-b, then 9 hits
    awaitIndexed(b, digest);
    for (int i = 0; i < 9; i++) {
      assertEquals(200, cb.get(target).statusCode());
    }
    gatherer.gather();
    CacheStatistics s = gatherer.summary("kit");
    assertEquals(21L, s.blobRequests);
    assertEquals("95%", s.blobHitRatio, "20 hits of 21");
    assertEquals(20L * SIZE, s.servedFromCacheBytes, "hits only: the miss streamed while arriving");
    assertEquals((long) SIZE, s.servedFromUpstreamBytes);
    assertEquals("1.9MiB", s.servedFromCache);
    assertEquals("1h", s.window);
    assertNotNull(s.since);
    assertEquals(1, s.registries.size());
    assertEquals("docker.io", s.registries.get(0).name);
    assertEquals("95%", s.registries.get(0).blobHitRatio);
    assertEquals(List.of("node-b", "node-a"), s.worstNodes.stream().map(n -> n.node).toList(), "lowest ratio first");
    assertEquals("90%", s.worstNodes.get(0).blobHitRatio);
    assertTrue(gatherer.bytesRead() > 0 && gatherer.bytesRead() / gatherer.scrapes() < 4096,
        "a few lines per scrape: " + gatherer.bytesRead() / gatherer.scrapes() + " bytes");

    // a restarted cache starts from zero: its new counts are increases, never negative
    a.close();
    CacheApplication a2 = cache(upstream, "a2");
    new CacheClient(a2.address()).get(target);
    gatherer.track("kit", List.of(new Target("kit", "pod-a", "node-a", "127.0.0.1",
        a2.metricsServer().address().getPort(), null), target(b, "pod-b", "node-b")));
    gatherer.gather();
    CacheStatistics after = gatherer.summary("kit");
    assertEquals(22L, after.blobRequests, "one more request, on the restarted cache: " + after.blobRequests);

    // a pod that started within the window, seen for the first time: all it counted is in the window
    CacheApplication c = cache(upstream, "c");
    CacheClient cc = new CacheClient(c.address());
    assertEquals(200, cc.get(target).statusCode());
    awaitIndexed(c, digest);
    assertEquals(200, cc.get(target).statusCode());
    gatherer.track("kit", List.of(new Target("kit", "pod-a", "node-a", "127.0.0.1",
        a2.metricsServer().address().getPort(), null), target(b, "pod-b", "node-b"),
        new Target("kit", "pod-c", "node-c", "127.0.0.1", c.metricsServer().address().getPort(), Instant.now())));
    gatherer.gather();
    assertEquals(24L, gatherer.summary("kit").blobRequests, "the new pod's miss and hit");
  }

  private CacheApplication cache(FakeUpstream upstream, String name) throws Exception {
    return closeAfter(CacheApplication.start(new CacheSetup(tmp.resolve(name)).registry("docker.io", upstream.url())
        .config(), new MetricsServer.Settings(new HostPort("127.0.0.1", 0),
            token -> token.equals("reader-token") ? AccessDecision.ALLOWED : AccessDecision.UNAUTHENTICATED)));
  }

  private static Target target(CacheApplication c, String pod, String node) {
    return new Target("kit", pod, node, "127.0.0.1", c.metricsServer().address().getPort(), Instant.EPOCH);
  }
}
