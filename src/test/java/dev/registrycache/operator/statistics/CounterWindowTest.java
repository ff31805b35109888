package dev.registrycache.operator.statistics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The window forgets what is older than its minutes; the parser reads only what it gathers. */
class CounterWindowTest {
  @Test
  void increasesOlderThanTheWindowDropOut() {
    CounterWindow w = new CounterWindow(60, 2);
    w.add(1000, new long[] {3, 4});
    w.add(1000, new long[] {1, 1});
    w.add(1030, new long[] {10, 10});
    assertArrayEquals(new long[] {14, 15}, w.total(1030));
    assertArrayEquals(new long[] {14, 15}, w.total(1059));
    assertArrayEquals(new long[] {10, 10}, w.total(1060), "minute 1000 is an hour old");
    w.add(1090, new long[] {1, 2}); // the same bucket as 1030, reused
    assertArrayEquals(new long[] {1, 2}, w.total(1090));
    assertArrayEquals(new long[] {0, 0}, w.total(1200));
  }

  @Test
  void countersParsedFromTheTextFormat() {
    CacheCounters c = CacheCounters.parse("""
        # HELP registry_cache_lookups_total \s
        # TYPE registry_cache_lookups_total counter
        registry_cache_lookups_total{kind="blob",registry="docker.io",result="hit"} 1.2345E7
        registry_cache_lookups_total{kind="blob",registry="docker.io",result="miss"} 5.0
        registry_cache_lookups_total{kind="blob",registry="docker.io",result="head-miss"} 9.0
        registry_cache_lookups_total{kind="tag",registry="docker.io",result="hit"} 100.0
        registry_cache_served_bytes_total{registry="quay.io",source="cache"} 2048.0
        registry_cache_served_bytes_total{registry="quay.io",source="upstream"} 1024.0
        registry_cache_requests_total{kind="blob",registry="docker.io",status="200"} 7.0
        registry_cache_served_bytes_total{registry="we\\"ird",source="cache"} 1.0
        """);
    assertArrayEquals(new long[] {12_345_000, 12_345_005, 0, 0}, c.byRegistry().get("docker.io"),
        "hits and blob requests; a HEAD miss and tags are no blob requests");
    assertArrayEquals(new long[] {0, 0, 2048, 1024}, c.byRegistry().get("quay.io"));
    assertEquals(Map.of("registry", "we\"ird", "source", "cache"),
        CacheCounters.labels("registry=\"we\\\"ird\",source=\"cache\""));
    assertEquals(3, c.byRegistry().size());
    assertEquals(-1, c.peers(), "a cache that asks no peers has no peers gauge");
    assertEquals(4, CacheCounters.parse("# TYPE registry_cache_peers gauge\nregistry_cache_peers 4.0\n").peers());
  }

  /** The gatherer's record of each pod's peers, summed up per RegistryCache as the status shows it. */
  @Test
  void thePeersEachNodeSeesAreSummedUpBounded() {
    CacheStatisticsGatherer g = new CacheStatisticsGatherer(null, () -> null, false, null);
    java.time.Instant now = java.time.Instant.now();
    java.util.List<CacheStatisticsGatherer.Target> pods = new java.util.ArrayList<>();
    Map<CacheStatisticsGatherer.Target, CacheCounters> read = new java.util.HashMap<>();
    for (int i = 0; i < 9; i++) {
      CacheStatisticsGatherer.Target t = new CacheStatisticsGatherer.Target("main", "pod-" + i, "node-" + i,
          "10.0.0." + i, 5002, now);
      pods.add(t);
      read.put(t, new CacheCounters(Map.of(), i < 7 ? 9 : 9 - i)); // two nodes see fewer
    }
    g.track("main", pods);
    g.record(pods, read, now);
    var s = g.summary("main", now);
    assertEquals("1-9", s.peers);
    assertEquals(java.util.List.of(new dev.registrycache.api.v1alpha1.CacheStatistics.NodePeers("node-8", 1),
        new dev.registrycache.api.v1alpha1.CacheStatistics.NodePeers("node-7", 2)), s.fewestPeers);

    Map<CacheStatisticsGatherer.Target, CacheCounters> agreeing = new java.util.HashMap<>();
    pods.forEach(t -> agreeing.put(t, new CacheCounters(Map.of(), 9)));
    g.record(pods, agreeing, now.plusSeconds(60));
    s = g.summary("main", now.plusSeconds(60));
    assertEquals("9", s.peers);
    assertEquals(null, s.fewestPeers, "no list when every node agrees");

    Map<CacheStatisticsGatherer.Target, CacheCounters> noPeers = new java.util.HashMap<>();
    pods.forEach(t -> noPeers.put(t, new CacheCounters(Map.of(), -1)));
    g.record(pods, noPeers, now.plusSeconds(120));
    assertEquals(null, g.summary("main", now.plusSeconds(120)).peers, "peers switched off: nothing to show");
    g.close();
  }
}
