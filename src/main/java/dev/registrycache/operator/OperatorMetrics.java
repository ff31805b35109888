package dev.registrycache.operator;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The operator's view of each RegistryCache as gauges, for alerting on what the caches cannot
 * say themselves (a node whose pod is not scheduled or cannot pull its image has no cache to
 * scrape): {@code registry_cache_operator_nodes_selected} and
 * {@code registry_cache_operator_nodes_caching}, labelled {@code registrycache}. JOSDK's own
 * reconciliation metrics ({@code operator_sdk_*}) sit beside them.
 */
public final class OperatorMetrics {
  static final String SELECTED = "registry_cache_operator_nodes_selected";
  static final String CACHING = "registry_cache_operator_nodes_caching";
  static final String LABEL = "registrycache";

  private record Counts(AtomicInteger selected, AtomicInteger caching) {}

  private final MeterRegistry registry;
  private final Map<String, Counts> byCache = new ConcurrentHashMap<>();

  public OperatorMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** What the status of RegistryCache {@code name} now says. */
  void nodes(String name, int selected, int caching) {
    Counts c = byCache.computeIfAbsent(name, n -> {
      Counts made = new Counts(new AtomicInteger(), new AtomicInteger());
      Gauge.builder(SELECTED, made.selected(), AtomicInteger::get).tag(LABEL, n)
          .description("Nodes the RegistryCache selects (its DaemonSet's desired pods)").register(registry);
      Gauge.builder(CACHING, made.caching(), AtomicInteger::get).tag(LABEL, n)
          .description("Nodes whose cache serves and whose runtime uses it").register(registry);
      return made;
    });
    c.selected().set(selected);
    c.caching().set(caching);
  }

  /** Drops the gauges of RegistryCaches that no longer exist. */
  void keepOnly(Collection<String> names) {
    Set<String> keep = Set.copyOf(names);
    for (String gone : byCache.keySet().stream().filter(n -> !keep.contains(n)).toList()) {
      byCache.remove(gone);
      registry.find(SELECTED).tag(LABEL, gone).meters().forEach(registry::remove);
      registry.find(CACHING).tag(LABEL, gone).meters().forEach(registry::remove);
    }
  }
}
