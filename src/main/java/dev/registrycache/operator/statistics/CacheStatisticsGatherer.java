package dev.registrycache.operator.statistics;

import dev.registrycache.api.v1alpha1.CacheStatistics;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every cache pod's counters once a minute ({@link CacheCounters#METERS} only, a few hundred
 * bytes) and keeps the increases of the last hour: per RegistryCache and registry, and per node
 * for the worst hit ratios. Nothing is written to the API server here: each reconciliation
 * copies {@link #summary} into the status, so the API server sees at most one status write per
 * RegistryCache and minute, whatever the number of nodes. Memory is bounded by the pods tracked
 * (one ring of 60 minute buckets each). A counter that went down is a restarted cache: its new
 * value is the increase. A pod seen for the first time brings all it counted if it started within
 * the window (its counters started with it), else only what it counts from then on.
 */
public class CacheStatisticsGatherer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CacheStatisticsGatherer.class);
  public static final Duration WINDOW = Duration.ofHours(1);
  public static final String WINDOW_NAME = "1h";
  public static final Duration INTERVAL = Duration.ofSeconds(60);
  static final Duration TIMEOUT = Duration.ofSeconds(5);
  /** Scrapes in flight at once: 5,000 nodes take about 5,000 / 64 * (a few ms) per round. */
  static final int PARALLEL = 64;

  /** A cache pod to read: its RegistryCache, identity, node and where its metrics are. */
  public record Target(String cache, String pod, String node, String address, int port, Instant created) {}

  /** A gatherer that gathers nothing (tests of the operator that have no caches to read). */
  public static final CacheStatisticsGatherer NONE = new CacheStatisticsGatherer(null, () -> null, false, null) {
    @Override
    public void track(String cache, Collection<Target> targets) {}

    @Override
    public CacheStatistics summary(String cache) {
      return null;
    }
  };

  private final HttpClient http;
  private final Supplier<String> token;
  private final boolean secure;
  private final Map<String, List<Target>> targets = new HashMap<>();
  private final Map<String, long[]> lastSeen = new HashMap<>();
  private final Map<String, Map<String, CounterWindow>> byCache = new HashMap<>();
  private final Map<String, CounterWindow> byPod = new HashMap<>();
  private final Map<String, Integer> reporting = new HashMap<>();
  private final Map<String, Integer> notReporting = new HashMap<>();
  private final Map<String, Map<String, long[]>> lastCounters = new HashMap<>();
  /** Per pod, the peers it knew at the last gathering (only pods that ask peers). */
  private final Map<String, Integer> peers = new HashMap<>();
  private final AtomicLong bytesRead = new AtomicLong();
  private final AtomicLong scrapes = new AtomicLong();
  private ScheduledExecutorService schedule;
  private Instant firstGathering;

  /**
   * @param token a bearer token allowed to get {@code /metrics} (null: none sent)
   * @param secure https (the caches' default), else plain http
   */
  public CacheStatisticsGatherer(SSLContext trust, Supplier<String> token, boolean secure, HttpClient client) {
    this.http = client != null ? client : trust == null ? null : HttpClient.newBuilder().sslContext(trust)
        .connectTimeout(TIMEOUT).build();
    this.token = token;
    this.secure = secure;
  }

  /** The pods of RegistryCache {@code cache} now (from its reconciliation); starts gathering on the first call. */
  public synchronized void track(String cache, Collection<Target> now) {
    targets.put(cache, List.copyOf(now));
    if (schedule == null && http != null) {
      schedule = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cache-statistics");
        t.setDaemon(true);
        return t;
      });
      schedule.scheduleWithFixedDelay(this::gatherSafely, 5, INTERVAL.toSeconds(), TimeUnit.SECONDS);
    }
  }

  /** Forgets the RegistryCaches that no longer exist. */
  public synchronized void keepOnly(Set<String> caches) {
    targets.keySet().retainAll(caches);
    byCache.keySet().retainAll(caches);
  }

  private void gatherSafely() {
    try {
      gather();
    } catch (RuntimeException e) {
      LOG.warn("gathering the caches' counters failed: {}", e.toString());
    }
  }

  /** One round: every tracked pod read (at most {@link #PARALLEL} at once), then the windows updated. */
  public void gather() {
    List<Target> all;
    synchronized (this) {
      all = targets.values().stream().flatMap(List::stream).filter(t -> t.address() != null).toList();
    }
    String bearer = token.get();
    Semaphore slots = new Semaphore(PARALLEL);
    Map<Target, CacheCounters> read = new java.util.concurrent.ConcurrentHashMap<>();
    List<CompletableFuture<?>> running = new java.util.ArrayList<>();
    for (Target t : all) {
      slots.acquireUninterruptibly();
      running.add(http.sendAsync(request(t, bearer), HttpResponse.BodyHandlers.ofString())
          .whenComplete((r, e) -> {
            slots.release();
            scrapes.incrementAndGet();
            if (e == null && r.statusCode() == 200) {
              bytesRead.addAndGet(r.body().length());
              read.put(t, CacheCounters.parse(r.body()));
            } else {
              LOG.debug("cannot read the counters of {} on {}: {}", t.pod(), t.node(), e != null ? e.toString()
                  : "HTTP " + r.statusCode());
            }
          }));
    }
    try {
      CompletableFuture.allOf(running.toArray(CompletableFuture[]::new)).get(TIMEOUT.toSeconds() * 2, TimeUnit.SECONDS);
    } catch (Exception e) {
      // those that failed are not reporting
    }
    record(all, read, Instant.now());
  }

  private HttpRequest request(Target t, String bearer) {
    String host = t.address().indexOf(':') >= 0 ? "[" + t.address() + "]" : t.address();
    String names = CacheCounters.METERS.stream().sorted()
        .map(n -> "name[]=" + URLEncoder.encode(n, StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create((secure ? "https://" : "http://") + host + ":" + t.port()
        + "/metrics?" + names)).timeout(TIMEOUT).GET();
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return b.build();
  }

  /** Adds what each pod's counters grew by since the previous round to the windows. */
  synchronized void record(List<Target> all, Map<Target, CacheCounters> read, Instant at) {
    if (firstGathering == null) {
      firstGathering = at;
    }
    long minute = at.getEpochSecond() / 60;
    Map<String, Integer> ok = new HashMap<>();
    Map<String, Integer> failed = new HashMap<>();
    Set<String> pods = new java.util.HashSet<>();
    for (Target t : all) {
      pods.add(t.pod());
      CacheCounters c = read.get(t);
      if (c == null) {
        failed.merge(t.cache(), 1, Integer::sum);
        continue;
      }
      ok.merge(t.cache(), 1, Integer::sum);
      Map<String, long[]> before = lastCounters.get(t.pod());
      // a pod seen first: its counters began with it, so if it started within the window all it
      // counted is in the window; otherwise only what it counts from now on
      boolean countAll = before == null && t.created() != null && t.created().isAfter(at.minus(WINDOW));
      long[] podTotal = new long[2];
      for (Map.Entry<String, long[]> e : c.byRegistry().entrySet()) {
        long[] prev = before == null ? null : before.get(e.getKey());
        long[] increase = new long[CacheCounters.WIDTH];
        for (int i = 0; i < increase.length; i++) {
          long now = e.getValue()[i];
          increase[i] = prev == null ? (before == null && !countAll ? 0 : now) : now >= prev[i] ? now - prev[i] : now;
        }
        byCache.computeIfAbsent(t.cache(), k -> new LinkedHashMap<>())
            .computeIfAbsent(e.getKey(), k -> new CounterWindow((int) WINDOW.toMinutes(), CacheCounters.WIDTH))
            .add(minute, increase);
        podTotal[0] += increase[CacheCounters.HITS];
        podTotal[1] += increase[CacheCounters.REQUESTS];
      }
      byPod.computeIfAbsent(t.pod(), k -> new CounterWindow((int) WINDOW.toMinutes(), 2)).add(minute, podTotal);
      lastCounters.put(t.pod(), c.byRegistry());
      if (c.peers() >= 0) {
        peers.put(t.pod(), c.peers());
      } else {
        peers.remove(t.pod());
      }
      lastSeen.put(t.pod(), new long[] {minute});
    }
    lastCounters.keySet().retainAll(pods);
    peers.keySet().retainAll(pods);
    byPod.keySet().retainAll(pods);
    lastSeen.keySet().retainAll(pods);
    reporting.clear();
    reporting.putAll(ok);
    notReporting.clear();
    notReporting.putAll(failed);
  }

  /** The status's statistics of RegistryCache {@code cache}, or null before its pods were first read. */
  public synchronized CacheStatistics summary(String cache) {
    return summary(cache, Instant.now());
  }

  synchronized CacheStatistics summary(String cache, Instant now) {
    if (firstGathering == null || !reporting.containsKey(cache) && !notReporting.containsKey(cache)) {
      return null;
    }
    long minute = now.getEpochSecond() / 60;
    Map<String, long[]> regs = new LinkedHashMap<>();
    byCache.getOrDefault(cache, Map.of()).forEach((r, w) -> regs.put(r, w.total(minute)));
    Map<String, long[]> nodes = new HashMap<>();
    Map<String, Integer> nodePeers = new HashMap<>();
    for (Target t : targets.getOrDefault(cache, List.of())) {
      Integer p = peers.get(t.pod());
      if (p != null && t.node() != null) {
        nodePeers.put(t.node(), p);
      }
      CounterWindow w = byPod.get(t.pod());
      if (w != null && t.node() != null) {
        nodes.merge(t.node(), w.total(minute), (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
      }
    }
    String since = firstGathering.isAfter(now.minus(WINDOW)) ? firstGathering.truncatedTo(
        java.time.temporal.ChronoUnit.SECONDS).toString() : null;
    CacheStatistics s = StatisticsSummary.of(WINDOW_NAME, since, regs, nodes, reporting.getOrDefault(cache, 0),
        notReporting.getOrDefault(cache, 0));
    StatisticsSummary.peers(s, nodePeers);
    return s;
  }

  /** Response bytes read and scrapes made so far (for measuring what gathering costs). */
  public long bytesRead() {
    return bytesRead.get();
  }

  public long scrapes() {
    return scrapes.get();
  }

  @Override
  public synchronized void close() {
    if (schedule != null) {
      schedule.shutdownNow();
    }
  }
}
