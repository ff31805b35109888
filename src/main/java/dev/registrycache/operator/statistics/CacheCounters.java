package dev.registrycache.operator.statistics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The counters the operator gathers from a cache's {@code /metrics}, per registry: blob hits,
 * blob requests, bytes sent from the disk and bytes sent while arriving from upstream; and how
 * many peers the cache knows (itself included; -1 when it asks none). Parsing only: the
 * Prometheus text format, the few lines of {@link #METERS}, anything else ignored.
 */
public record CacheCounters(Map<String, long[]> byRegistry, int peers) {
  public static final int HITS = 0;
  public static final int REQUESTS = 1;
  public static final int FROM_CACHE = 2;
  public static final int FROM_UPSTREAM = 3;
  public static final int WIDTH = 4;
  static final String LOOKUPS = "registry_cache_lookups_total";
  static final String SERVED = "registry_cache_served_bytes_total";
  static final String PEERS = "registry_cache_peers";
  /**
   * The meters asked for ({@code ?name[]=}, counters by their name without {@code _total}, as the
   * Prometheus client filters them): the operator reads a few lines, not the whole exposition.
   */
  public static final Set<String> METERS = Set.of("registry_cache_lookups", "registry_cache_served_bytes", PEERS);
  /** Blob lookups that are requests for a blob body: the hit ratio's denominator (a HEAD miss is none). */
  static final Set<String> BLOB_REQUESTS = Set.of("hit", "miss", "join");

  public static CacheCounters parse(String text) {
    Map<String, long[]> out = new LinkedHashMap<>();
    int peers = -1;
    for (String line : (Iterable<String>) text.lines()::iterator) {
      if (line.startsWith("#")) {
        continue;
      }
      if (line.startsWith(PEERS + " ")) {
        long v = value(line.substring(PEERS.length()));
        peers = v < 0 || v > Integer.MAX_VALUE ? -1 : (int) v;
        continue;
      }
      int brace = line.indexOf('{');
      int close = line.lastIndexOf('}');
      if (brace < 0 || close < brace) {
        continue;
      }
      String name = line.substring(0, brace);
      boolean lookups = name.equals(LOOKUPS);
      if (!lookups && !name.equals(SERVED)) {
        continue;
      }
      Map<String, String> labels = labels(line.substring(brace + 1, close));
      long value = value(line.substring(close + 1));
      String registry = labels.get("registry");
      if (registry == null || value < 0) {
        continue;
      }
      long[] c = out.computeIfAbsent(registry, r -> new long[WIDTH]);
      if (lookups) {
        if ("blob".equals(labels.get("kind")) && BLOB_REQUESTS.contains(labels.get("result"))) {
          c[REQUESTS] += value;
          if ("hit".equals(labels.get("result"))) {
            c[HITS] += value;
          }
        }
      } else if ("cache".equals(labels.get("source"))) {
        c[FROM_CACHE] += value;
      } else if ("upstream".equals(labels.get("source"))) {
        c[FROM_UPSTREAM] += value;
      }
    }
    return new CacheCounters(out, peers);
  }

  /** {@code a="x",b="y\"z"}: values unescaped. */
  static Map<String, String> labels(String s) {
    Map<String, String> out = new LinkedHashMap<>();
    int i = 0;
    while (i < s.length()) {
      int eq = s.indexOf('=', i);
      if (eq < 0 || eq + 1 >= s.length() || s.charAt(eq + 1) != '"') {
        break;
      }
      String key = s.substring(i, eq).strip();
      StringBuilder v = new StringBuilder();
      int j = eq + 2;
      for (; j < s.length() && s.charAt(j) != '"'; j++) {
        char c = s.charAt(j);
        if (c == '\\' && j + 1 < s.length()) {
          char n = s.charAt(++j);
          v.append(n == 'n' ? '\n' : n);
        } else {
          v.append(c);
        }
      }
      out.put(key, v.toString());
      i = j + 1;
      while (i < s.length() && (s.charAt(i) == ',' || s.charAt(i) == ' ')) {
        i++;
      }
    }
    return out;
  }

  private static long value(String rest) {
    String[] parts = rest.strip().split("\\s+");
    try {
      double d = Double.parseDouble(parts[0]);
      return Double.isFinite(d) ? (long) d : -1;
    } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
      return -1;
    }
  }
}
