package dev.registrycache.operator.statistics;

import dev.registrycache.api.v1alpha1.CacheStatistics;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Turns the summed counters of a window into the status's words: ratios in percent, bytes in binary units. */
final class StatisticsSummary {
  static final int LISTED_REGISTRIES = 20;
  static final int LISTED_NODES = 5;
  /** Nodes with fewer blob requests in the window are not ranked: a ratio of one request says nothing. */
  static final long MIN_NODE_REQUESTS = 10;

  private StatisticsSummary() {}

  /**
   * @param registries per registry: {@link CacheCounters} increases over the window
   * @param nodes per node name: blob hits and requests over the window
   */
  static CacheStatistics of(String window, String since, Map<String, long[]> registries, Map<String, long[]> nodes,
      int reporting, int notReporting) {
    CacheStatistics s = new CacheStatistics();
    s.window = window;
    s.since = since;
    long[] all = new long[CacheCounters.WIDTH];
    registries.values().forEach(c -> {
      for (int i = 0; i < all.length; i++) {
        all[i] += c[i];
      }
    });
    s.blobHitRatio = ratio(all[CacheCounters.HITS], all[CacheCounters.REQUESTS]);
    s.blobRequests = all[CacheCounters.REQUESTS];
    s.servedFromCacheBytes = all[CacheCounters.FROM_CACHE];
    s.servedFromCache = bytes(all[CacheCounters.FROM_CACHE]);
    s.servedFromUpstreamBytes = all[CacheCounters.FROM_UPSTREAM];
    s.nodesReporting = reporting;
    s.nodesNotReporting = notReporting;
    List<CacheStatistics.RegistryStatistics> regs = new ArrayList<>();
    registries.entrySet().stream()
        .filter(e -> e.getValue()[CacheCounters.REQUESTS] > 0 || e.getValue()[CacheCounters.FROM_CACHE] > 0)
        .sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -e.getValue()[CacheCounters.FROM_CACHE])
            .thenComparing(Map.Entry::getKey))
        .limit(LISTED_REGISTRIES).forEach(e -> {
          CacheStatistics.RegistryStatistics r = new CacheStatistics.RegistryStatistics();
          r.name = e.getKey();
          r.blobHitRatio = ratio(e.getValue()[CacheCounters.HITS], e.getValue()[CacheCounters.REQUESTS]);
          r.blobRequests = e.getValue()[CacheCounters.REQUESTS];
          r.servedFromCache = bytes(e.getValue()[CacheCounters.FROM_CACHE]);
          regs.add(r);
        });
    s.registries = regs;
    List<CacheStatistics.NodeStatistics> worst = new ArrayList<>();
    nodes.entrySet().stream().filter(e -> e.getValue()[1] >= MIN_NODE_REQUESTS)
        .sorted(Comparator.comparingDouble((Map.Entry<String, long[]> e) -> (double) e.getValue()[0] / e.getValue()[1])
            .thenComparing(Map.Entry::getKey))
        .limit(LISTED_NODES).forEach(e -> {
          CacheStatistics.NodeStatistics n = new CacheStatistics.NodeStatistics();
          n.node = e.getKey();
          n.blobHitRatio = ratio(e.getValue()[0], e.getValue()[1]);
          n.blobRequests = e.getValue()[1];
          worst.add(n);
        });
    s.worstNodes = worst;
    return s;
  }

  /**
   * How many peers the nodes see: {@code 5}, or {@code 3-5} when they disagree (a node that has not
   * seen the others yet, or cannot see them), with the nodes that see the fewest (at most
   * {@link #LISTED_NODES}). Nothing when no cache asks peers.
   */
  static void peers(CacheStatistics s, Map<String, Integer> byNode) {
    if (byNode.isEmpty()) {
      return;
    }
    int min = byNode.values().stream().mapToInt(Integer::intValue).min().orElseThrow();
    int max = byNode.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
    s.peers = min == max ? String.valueOf(min) : min + "-" + max;
    if (min == max) {
      return;
    }
    List<CacheStatistics.NodePeers> fewest = new ArrayList<>();
    byNode.entrySet().stream().filter(e -> e.getValue() < max)
        .sorted(Map.Entry.<String, Integer>comparingByValue().thenComparing(Map.Entry::getKey))
        .limit(LISTED_NODES).forEach(e -> fewest.add(new CacheStatistics.NodePeers(e.getKey(), e.getValue())));
    s.fewestPeers = fewest;
  }

  /** {@code 94%}, rounded down so that 100% means every request; {@code -} without requests. */
  static String ratio(long hits, long requests) {
    return requests <= 0 ? "-" : (hits * 100 / requests) + "%";
  }

  /** {@code 12.3GiB}, {@code 512B}. */
  static String bytes(long n) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = n;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? n + "B" : String.format(Locale.ROOT, v >= 100 ? "%.0f%s" : "%.1f%s", v, units[u]);
  }
}
