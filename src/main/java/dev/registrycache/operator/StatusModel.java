package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.NodeProblem;
import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.api.v1alpha1.RegistryCacheStatus;
import dev.registrycache.api.v1alpha1.RegistrySpec;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * A RegistryCache's status from what the cluster reports: the DaemonSet's counts (kept by the
 * DaemonSet controller), each cache pod (kubelet's state and the node condition the cache
 * writes, {@link PodState}), the nodes the image's architectures leave out, and the DaemonSet
 * controller's {@code FailedCreate} event. A node caches when its pod is ready (the cache
 * serves) and says its runtime uses it. The conditions say {@code Unknown} while the DaemonSet
 * and the pods have not had their chance to report, and name real problems only.
 */
public final class StatusModel {
  /** Nodes listed in a condition message at most. */
  static final int MESSAGE_NODES = 5;
  /** Nodes listed in {@code status.nodesNotCaching} at most: the status stays small on any cluster. */
  static final int LISTED_NODES = 20;
  static final String DEFAULT_REGISTRIES = "default list";

  /**
   * What the status needs of the cluster beyond the DaemonSet and its pods.
   *
   * @param unsupported selected nodes whose architecture the image does not have
   * @param architectures the image's architectures
   * @param failedCreate the DaemonSet controller's last FailedCreate message, asked for only when
   *     pods are missing
   */
  public record Cluster(List<ClusterNodes.NodeFacts> unsupported, List<String> architectures,
      Supplier<String> failedCreate) {
    public static final Cluster NONE = new Cluster(List.of(), List.of(), () -> null);

    static Cluster of(DesiredState state, RegistryCache rc, Supplier<String> failedCreate) {
      OperatorSettings s = state.operator();
      return new Cluster(state.nodes().unsupported(NodeSelection.selector(rc.effectiveSpec()), s.controlPlaneNodes(),
          s.imageArchitectures()), s.imageArchitectures(), failedCreate);
    }
  }

  private StatusModel() {}

  /** The status of a RegistryCache that shares no nodes with another one. */
  public static RegistryCacheStatus of(RegistryCache rc, DaemonSet ds, List<Pod> pods) {
    return of(rc, ds, pods, NodeSelection.of(rc, List.of()), Cluster.NONE, Instant.now());
  }

  public static RegistryCacheStatus of(RegistryCache rc, DaemonSet ds, List<Pod> pods, NodeSelection selection,
      Cluster cluster) {
    return of(rc, ds, pods, selection, cluster, Instant.now());
  }

  /** @param selection its nodes among the other RegistryCaches: an overlap makes it Degraded */
  static RegistryCacheStatus of(RegistryCache rc, DaemonSet ds, List<Pod> pods, NodeSelection selection,
      Cluster cluster, Instant now) {
    long generation = rc.getMetadata().getGeneration() == null ? 0 : rc.getMetadata().getGeneration();
    DaemonSetStatus s = ds == null || ds.getStatus() == null ? new DaemonSetStatus() : ds.getStatus();
    int desired = nz(s.getDesiredNumberScheduled());
    int updated = nz(s.getUpdatedNumberScheduled());
    boolean dsCurrent = ds != null && s.getObservedGeneration() != null
        && s.getObservedGeneration() >= nz(ds.getMetadata().getGeneration());
    String template = ds == null || ds.getMetadata().getGeneration() == null ? null
        : String.valueOf(ds.getMetadata().getGeneration());

    List<PodState> states = pods.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .map(p -> PodState.of(p, template, now)).toList();
    int caching = (int) states.stream().filter(PodState::caching).count();
    int updatedReady = (int) states.stream().filter(p -> p.updated() && p.ready()).count();
    List<NodeProblem> problems = new ArrayList<>();
    states.stream().filter(p -> p.problem() != null).forEach(p -> problems.add(p.problem()));
    for (ClusterNodes.NodeFacts n : cluster.unsupported()) {
      problems.add(new NodeProblem(n.name(), NodeProblem.UNSUPPORTED_ARCHITECTURE, "the node's architecture is "
          + n.labels().getOrDefault(ClusterNodes.ARCH_LABEL, "unknown") + "; the cache image is built for "
          + String.join(", ", cluster.architectures()) + " (the chart value image.architectures)"));
    }
    problems.sort(Comparator.comparing(n -> n.node == null ? "" : n.node));
    List<PodState> stuck = states.stream().filter(p -> p.updated() && p.stuck()).toList();
    long starting = states.stream().filter(PodState::starting).count();
    String failedCreate = !dsCurrent && states.isEmpty() || caching + starting + problems.size() < desired
        ? cluster.failedCreate().get() : null;

    RegistryCacheStatus st = new RegistryCacheStatus();
    st.observedGeneration = generation;
    st.desiredNodes = desired;
    st.readyNodes = caching;
    st.updatedNodes = updated;
    st.ready = caching + "/" + desired;
    st.registries = registries(rc);
    st.nodesNotCaching = problems.stream().limit(LISTED_NODES).toList();
    st.nodesNotCachingCount = problems.size();

    List<Condition> c = new ArrayList<>();
    List<NodeProblem> selectedProblems = problems.stream()
        .filter(p -> !NodeProblem.UNSUPPORTED_ARCHITECTURE.equals(p.reason)).toList();
    if (failedCreate != null) {
      c.add(Conditions.of(Conditions.READY, false, Conditions.PODS_NOT_CREATED,
          (desired - caching) + " of " + desired + " nodes do not cache: the DaemonSet cannot create pods: "
              + failedCreate, generation));
    } else if (!dsCurrent) {
      c.add(Conditions.of(Conditions.READY, "Unknown", Conditions.STARTING,
          "waiting for the DaemonSet controller to take up the current spec", generation));
    } else if (desired == 0 && !selection.olderOverlapping().isEmpty()) {
      c.add(Conditions.of(Conditions.READY, false, Conditions.NODE_SELECTION_CONFLICT,
          "no node left: " + selection.message(), generation));
    } else if (desired == 0) {
      c.add(Conditions.of(Conditions.READY, false, Conditions.NO_NODES_SELECTED,
          "no node matches nodeSelector " + selection.nodeSelector(), generation));
    } else if (caching == desired && selectedProblems.isEmpty()) {
      c.add(Conditions.of(Conditions.READY, true, Conditions.ALL_NODES_CACHING,
          "all " + desired + " selected nodes cache", generation));
    } else if (selectedProblems.isEmpty()) {
      c.add(Conditions.of(Conditions.READY, "Unknown", Conditions.STARTING,
          caching + " of " + desired + " nodes cache; the others are starting", generation));
    } else {
      boolean unscheduled = selectedProblems.stream().anyMatch(p -> NodeProblem.POD_NOT_SCHEDULED.equals(p.reason));
      c.add(Conditions.of(Conditions.READY, false, unscheduled ? Conditions.PODS_NOT_SCHEDULED
          : Conditions.NODES_NOT_CACHING, (desired - caching) + " of " + desired + " nodes do not cache: "
          + summary(selectedProblems), generation));
    }

    boolean rolling = !dsCurrent || updated < desired || updatedReady < desired;
    if (!stuck.isEmpty()) {
      c.add(Conditions.of(Conditions.PROGRESSING, true, Conditions.ROLLOUT_STUCK, stuckMessage(stuck, updated, desired),
          generation));
    } else {
      c.add(Conditions.of(Conditions.PROGRESSING, rolling, rolling ? Conditions.ROLLING_OUT : Conditions.UP_TO_DATE,
          rolling ? updatedReady + " of " + desired + " nodes run the current spec" : "every node runs the current spec",
          generation));
    }

    List<String> degraded = new ArrayList<>();
    String reason = null;
    if (failedCreate != null) {
      reason = Conditions.PODS_NOT_CREATED;
      degraded.add("the DaemonSet cannot create pods: " + failedCreate);
    }
    if (!stuck.isEmpty()) {
      reason = reason == null ? Conditions.ROLLOUT_STUCK : reason;
      degraded.add(stuckMessage(stuck, updated, desired));
    }
    if (selection.conflicts()) {
      reason = reason == null ? Conditions.NODE_SELECTION_CONFLICT : reason;
      degraded.add(selection.message());
    }
    if (!cluster.unsupported().isEmpty()) {
      reason = reason == null ? Conditions.UNSUPPORTED_ARCHITECTURE : reason;
      degraded.add(cluster.unsupported().size() + " selected nodes are left out, their architecture is not one of the"
          + " image's (" + String.join(", ", cluster.architectures()) + "): " + cluster.unsupported().stream()
          .limit(MESSAGE_NODES).map(ClusterNodes.NodeFacts::name).collect(Collectors.joining(", "))
          + (cluster.unsupported().size() > MESSAGE_NODES ? ", ..." : ""));
    }
    c.add(reason != null ? Conditions.of(Conditions.DEGRADED, true, reason, String.join("; ", degraded), generation)
        : Conditions.of(Conditions.DEGRADED, false, Conditions.AS_EXPECTED, "the spec can be put in place", generation));
    st.conditions = Conditions.carryOver(rc.getStatus() == null ? null : rc.getStatus().conditions, c);
    return st;
  }

  /** The status of a RegistryCache whose spec cannot be put in place: the rest stays as it was. */
  public static RegistryCacheStatus degraded(RegistryCache rc, String reason, String message) {
    RegistryCacheStatus old = rc.getStatus() == null ? new RegistryCacheStatus() : rc.getStatus();
    long generation = rc.getMetadata().getGeneration() == null ? 0 : rc.getMetadata().getGeneration();
    RegistryCacheStatus st = new RegistryCacheStatus();
    st.observedGeneration = generation;
    st.desiredNodes = old.desiredNodes;
    st.readyNodes = old.readyNodes;
    st.updatedNodes = old.updatedNodes;
    st.ready = old.ready;
    st.registries = registries(rc);
    st.nodesNotCaching = old.nodesNotCaching;
    st.nodesNotCachingCount = old.nodesNotCachingCount;
    st.statistics = old.statistics;
    List<Condition> c = new ArrayList<>();
    c.add(Conditions.of(Conditions.READY, false, reason, message, generation));
    c.add(Conditions.of(Conditions.PROGRESSING, false, reason, "waiting for the problem to be fixed", generation));
    c.add(Conditions.of(Conditions.DEGRADED, true, reason, message, generation));
    st.conditions = Conditions.carryOver(old.conditions, c);
    return st;
  }

  private static String stuckMessage(List<PodState> stuck, int updated, int desired) {
    return "the rollout of the current spec is stuck (" + updated + " of " + desired + " nodes updated): "
        + summary(stuck.stream().map(PodState::problem).toList());
  }

  private static String summary(List<NodeProblem> problems) {
    String listed = problems.stream().limit(MESSAGE_NODES)
        .map(p -> (p.node == null ? "(unscheduled)" : p.node) + " " + p.reason + " (" + PodState.trim(p.message) + ")")
        .collect(Collectors.joining(", "));
    return problems.size() > MESSAGE_NODES ? listed + ", and " + (problems.size() - MESSAGE_NODES) + " more"
        + " (status.nodesNotCaching)" : listed;
  }

  static String registries(RegistryCache rc) {
    List<RegistrySpec> regs = rc.effectiveSpec().registries;
    return regs == null || regs.isEmpty() ? DEFAULT_REGISTRIES
        : regs.stream().map(r -> r.name).collect(Collectors.joining(","));
  }

  private static int nz(Integer i) {
    return i == null ? 0 : i;
  }

  private static long nz(Long l) {
    return l == null ? 0 : l;
  }
}
