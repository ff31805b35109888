package dev.registrycache.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * Every metric the cache exports, behind methods named for the event. Meters are looked up
 * once and kept, so recording on the request path is a map lookup and an add.
 * See {@code docs/metrics.md} for the list.
 */
public final class CacheMetrics {
  private static final String P = "registry_cache_";
  /** The {@code registry} label of requests naming a registry this cache does not mirror. */
  public static final String OTHER_REGISTRY = "other";
  private final MeterRegistry registry;
  private final Set<String> registryNames;
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicLong> rateLimits = new ConcurrentHashMap<>();

  /**
   * @param registryNames the configured registries: the only values a client's request can put
   *     into a {@code registry} label (anything else is counted as {@link #OTHER_REGISTRY}), so
   *     that no request, however made up, creates a new time series
   */
  public CacheMetrics(MeterRegistry registry, Set<String> registryNames) {
    this.registry = registry;
    this.registryNames = Set.copyOf(registryNames);
  }

  /** For tests: an in-memory registry, and no registry name known to label requests with. */
  public static CacheMetrics inMemory() {
    return new CacheMetrics(new SimpleMeterRegistry(), Set.of());
  }

  public MeterRegistry registry() {
    return registry;
  }

  private final ConcurrentHashMap<RequestKey, Counter> requestCounters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<LookupKey, Counter> lookupCounters = new ConcurrentHashMap<>();

  /** Keys of the per-request counters: cheap to build and hash, no string concatenation. */
  private record RequestKey(String registry, String kind, int status) {}

  private record LookupKey(String registry, String kind, String result) {}

  private record ServedKey(String registry, String source) {}

  private final ConcurrentHashMap<ServedKey, Counter> servedCounters = new ConcurrentHashMap<>();

  private Counter counter(String name, String... tags) {
    String key = name + String.join("|", tags);
    Counter c = counters.get(key);
    if (c == null) {
      c = counters.computeIfAbsent(key, k -> Counter.builder(P + name).tags(tags).register(registry));
    }
    return c;
  }

  /** The {@code registry} label of whatever a request named: a configured registry, else {@link #OTHER_REGISTRY}. */
  private String registryLabel(String registry) {
    return registry == null ? "" : registryNames.contains(registry) ? registry : OTHER_REGISTRY;
  }

  /** One answered client request; {@code registry} is whatever the request named (or null). */
  public void request(String registry, String kind, int status) {
    RequestKey k = new RequestKey(registryLabel(registry), kind, status);
    Counter c = requestCounters.get(k);
    if (c == null) {
      c = requestCounters.computeIfAbsent(k, key -> counter("requests", "registry", key.registry(),
          "kind", key.kind(), "status", Integer.toString(key.status())));
    }
    c.increment();
  }

  /**
   * A cache lookup for a registry: result is hit, miss, join (joined an in-flight download) or
   * stale.
   */
  public void lookup(String registry, String kind, String result) {
    LookupKey k = new LookupKey(registryLabel(registry), kind, result);
    Counter c = lookupCounters.get(k);
    if (c == null) {
      c = lookupCounters.computeIfAbsent(k, key -> counter("lookups", "registry", key.registry(), "kind", kind,
          "result", result));
    }
    c.increment();
  }

  /** Body bytes sent to a client of {@code registry}, from the store ({@code cache}) or as they arrived ({@code upstream}). */
  public void bytesServed(String registry, String source, long bytes) {
    ServedKey k = new ServedKey(registryLabel(registry), source);
    Counter c = servedCounters.get(k);
    if (c == null) {
      c = servedCounters.computeIfAbsent(k, key -> counter("served_bytes", "registry", key.registry(),
          "source", source));
    }
    c.increment(bytes);
  }

  public void bytesFetched(String registry, long bytes) {
    counter("upstream_fetched_bytes", "registry", registry).increment(bytes);
  }

  public void upstreamRequest(String registry, int status, long nanos) {
    String key = registry + "|" + status;
    Timer t = timers.get(key);
    if (t == null) {
      t = timers.computeIfAbsent(key, k -> Timer.builder(P + "upstream_request_duration")
          .description("Upstream requests (status 0: no HTTP answer)")
          .tags("registry", registry, "status", Integer.toString(status)).register(registry()));
    }
    t.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void upstreamError(String registry, String reason) {
    counter("upstream_errors", "registry", registry, "reason", reason).increment();
  }

  /**
   * A blob or manifest ({@code kind}) asked from its owner among the peers: {@code fetched} (the
   * peer sent it whole; for a manifest also its answer that the tag is unknown), {@code resumed}
   * (a blob broke off or was too slow: the rest came from upstream), {@code unreachable} (no
   * connection in the connect timeout: skipped for a while), {@code status-NNN} or {@code failed}
   * (upstream instead, before any byte reached a client).
   */
  public void peerFetch(String kind, String result) {
    counter("peer_fetches", "kind", kind, "result", result).increment();
  }

  /**
   * A check upstream of whether a client may have private content: {@code allowed},
   * {@code refused}, or either {@code -remembered} when a recent answer was used.
   */
  public void privateCheck(String registry, String result) {
    counter("private_checks", "registry", registry, "result", result).increment();
  }

  /** A request on the peer endpoint: {@code served}, {@code busy}, {@code unauthorized}. */
  public void peerRequest(String result) {
    counter("peer_requests", "result", result).increment();
  }

  public void singleFlightJoin() {
    counter("singleflight_joins").increment();
  }

  public void staleServed(String registry, String reason) {
    counter("stale_served", "registry", registry, "reason", reason).increment();
  }

  /** A client connection closed by the cache: {@code header-timeout}, {@code send-timeout} or {@code limit}. */
  public void connectionClosed(String reason) {
    counter("connections_closed", "reason", reason).increment();
  }

  /**
   * Content fetched from upstream and given to clients without being stored, because the store
   * could not take it; {@code kind} is blob or manifest, {@code reason} what stood in the way.
   */
  public void servedUnstored(String kind, String reason) {
    counter("served_unstored", "kind", kind, "reason", reason).increment();
  }

  public void digestMismatch(String registry) {
    counter("digest_mismatches", "registry", registry).increment();
  }

  /** Docker Hub's {@code ratelimit-remaining}, per registry. */
  public void rateLimitRemaining(String registryName, long remaining) {
    rateLimits.computeIfAbsent(registryName, n -> {
      AtomicLong v = new AtomicLong();
      Gauge.builder(P + "upstream_ratelimit_remaining", v, AtomicLong::get)
          .tag("registry", n).register(registry);
      return v;
    }).set(remaining);
  }

  public <T> void gauge(String name, String description, T obj, ToDoubleFunction<T> f) {
    Gauge.builder(P + name, obj, f).description(description).register(registry);
  }

  public <T> void functionCounter(String name, String description, T obj, ToDoubleFunction<T> f, String... tags) {
    FunctionCounter.builder(P + name, obj, f).description(description).tags(tags).register(registry);
  }

  /** For tests: the current value of a counter summed over the labels not given, 0 when never incremented. */
  public double count(String name, String... tags) {
    return registry.find(P + name).tags(tags).counters().stream().mapToDouble(Counter::count).sum();
  }
}
