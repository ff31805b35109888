package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.operator.statistics.CacheStatisticsGatherer.Target;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/** The cache pods of a RegistryCache as the statistics gatherer reads them: running, with an IP. */
final class StatisticsTargets {
  private StatisticsTargets() {}

  static List<Target> of(RegistryCache rc, List<Pod> pods) {
    int port = rc.effectiveSpec().metricsPort;
    return pods.stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null && p.getStatus() != null
            && p.getStatus().getPodIP() != null && !p.getStatus().getPodIP().isEmpty())
        .map(p -> new Target(rc.getMetadata().getName(), p.getMetadata().getUid() != null ? p.getMetadata().getUid()
            : p.getMetadata().getName(), p.getSpec() == null ? null : p.getSpec().getNodeName(),
            p.getStatus().getPodIP(), port, created(p)))
        .toList();
  }

  private static Instant created(Pod p) {
    try {
      return p.getMetadata().getCreationTimestamp() == null ? null : Instant.parse(p.getMetadata().getCreationTimestamp());
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
