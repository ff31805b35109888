package dev.registrycache.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What the operator observed: nodes selected, caching, updated; conditions; nodes that do not cache. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RegistryCacheStatus {
  @JsonPropertyDescription("The generation of the spec this status describes.")
  public Long observedGeneration;

  @JsonPropertyDescription("Nodes selected (the DaemonSet's desired pods).")
  public Integer desiredNodes;

  @JsonPropertyDescription("Nodes whose cache answers and has said that their runtime uses it (its pod's "
      + "registrycache.dev/NodeConfigured condition).")
  public Integer readyNodes;

  @JsonPropertyDescription("Nodes running the current spec.")
  public Integer updatedNodes;

  @JsonPropertyDescription("readyNodes/desiredNodes, for kubectl get.")
  public String ready;

  @JsonPropertyDescription("The registries mirrored, for kubectl get.")
  public String registries;

  @JsonPropertyDescription("Ready, Progressing and Degraded.")
  public List<Condition> conditions = new ArrayList<>();

  @JsonPropertyDescription("Nodes that do not cache, each with the reason: at most 20, by node name "
      + "(nodesNotCachingCount counts them all).")
  public List<NodeProblem> nodesNotCaching = new ArrayList<>();

  @JsonPropertyDescription("How many nodes do not cache (selected, or left out for their architecture).")
  public Integer nodesNotCachingCount;

  @JsonPropertyDescription("Blob hit ratio and bytes served from the nodes' disks over the last hour, from the "
      + "caches' own counters (kubectl get shows both; describe shows them per registry and the worst nodes).")
  public CacheStatistics statistics;

  @Override
  public boolean equals(Object o) {
    return o instanceof RegistryCacheStatus s && Objects.equals(observedGeneration, s.observedGeneration)
        && Objects.equals(desiredNodes, s.desiredNodes) && Objects.equals(readyNodes, s.readyNodes)
        && Objects.equals(updatedNodes, s.updatedNodes) && Objects.equals(ready, s.ready)
        && Objects.equals(registries, s.registries) && Objects.equals(conditions, s.conditions)
        && Objects.equals(nodesNotCaching, s.nodesNotCaching)
        && Objects.equals(nodesNotCachingCount, s.nodesNotCachingCount) && Objects.equals(statistics, s.statistics);
  }

  @Override
  public int hashCode() {
    return Objects.hash(observedGeneration, desiredNodes, readyNodes, updatedNodes, ready, registries);
  }
}
