package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.NodeProblem;
import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.api.v1alpha1.RegistryCacheStatus;
import dev.registrycache.api.v1alpha1.RegistrySpec;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A RegistryCache's status from what the cluster reports: the DaemonSet's counts (kept by the
 * DaemonSet controller) and each cache pod that is not ready, named by its node with the reason.
 */
public final class StatusModel {
  /** Nodes listed in a condition message at most (the status lists them all). */
  static final int MESSAGE_NODES = 5;
  static final String DEFAULT_REGISTRIES = "default list";

  private StatusModel() {}

  /** The status of a RegistryCache that shares no nodes with another one. */
  public static RegistryCacheStatus of(RegistryCache rc, DaemonSet ds, List<Pod> pods) {
    return of(rc, ds, pods, NodeSelection.of(rc, List.of()));
  }

  /** @param selection its nodes among the other RegistryCaches: an overlap makes it Degraded */
  public static RegistryCacheStatus of(RegistryCache rc, DaemonSet ds, List<Pod> pods, NodeSelection selection) {
    long generation = rc.getMetadata().getGeneration() == null ? 0 : rc.getMetadata().getGeneration();
    DaemonSetStatus s = ds == null || ds.getStatus() == null ? new DaemonSetStatus() : ds.getStatus();
    int desired = nz(s.getDesiredNumberScheduled());
    int ready = nz(s.getNumberReady());
    int updated = nz(s.getUpdatedNumberScheduled());
    boolean dsCurrent = ds != null && s.getObservedGeneration() != null
        && s.getObservedGeneration() >= nz(ds.getMetadata().getGeneration());

    RegistryCacheStatus st = new RegistryCacheStatus();
    st.observedGeneration = generation;
    st.desiredNodes = desired;
    st.readyNodes = ready;
    st.updatedNodes = updated;
    st.ready = ready + "/" + desired;
    st.registries = registries(rc);
    st.nodesNotCaching = problems(pods);

    List<Condition> c = new ArrayList<>();
    if (desired == 0 && !selection.olderOverlapping().isEmpty()) {
      c.add(Conditions.of(Conditions.READY, false, Conditions.NODE_SELECTION_CONFLICT,
          "no node left: " + selection.message(), generation));
    } else if (desired == 0) {
      c.add(Conditions.of(Conditions.READY, false, Conditions.NO_NODES_SELECTED,
          "no node matches nodeSelector " + selection.nodeSelector() + " (or the DaemonSet is being created)",
          generation));
    } else if (ready == desired && st.nodesNotCaching.isEmpty()) {
      c.add(Conditions.of(Conditions.READY, true, Conditions.ALL_NODES_CACHING,
          "all " + desired + " selected nodes cache", generation));
    } else {
      boolean unscheduled = st.nodesNotCaching.stream().anyMatch(p -> Conditions.PODS_NOT_SCHEDULED.equals(p.reason));
      c.add(Conditions.of(Conditions.READY, false, unscheduled ? Conditions.PODS_NOT_SCHEDULED : Conditions.NODES_NOT_CACHING,
          (desired - ready) + " of " + desired + " nodes do not cache"
              + (st.nodesNotCaching.isEmpty() ? "" : ": " + summary(st.nodesNotCaching)), generation));
    }
    boolean rolling = !dsCurrent || updated < desired;
    c.add(Conditions.of(Conditions.PROGRESSING, rolling, rolling ? Conditions.ROLLING_OUT : Conditions.UP_TO_DATE,
        rolling ? updated + " of " + desired + " nodes run the current spec" : "every node runs the current spec",
        generation));
    c.add(selection.conflicts()
        ? Conditions.of(Conditions.DEGRADED, true, Conditions.NODE_SELECTION_CONFLICT, selection.message(), generation)
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
    List<Condition> c = new ArrayList<>();
    c.add(Conditions.of(Conditions.READY, false, reason, message, generation));
    c.add(Conditions.of(Conditions.PROGRESSING, false, reason, "waiting for the problem to be fixed", generation));
    c.add(Conditions.of(Conditions.DEGRADED, true, reason, message, generation));
    st.conditions = Conditions.carryOver(old.conditions, c);
    return st;
  }

  static List<NodeProblem> problems(List<Pod> pods) {
    List<NodeProblem> out = new ArrayList<>();
    for (Pod p : pods) {
      if (p.getMetadata().getDeletionTimestamp() != null || isReady(p)) {
        continue;
      }
      String node = p.getSpec().getNodeName();
      if (node == null || node.isEmpty()) {
        PodCondition sched = condition(p, "PodScheduled");
        out.add(new NodeProblem(nodeFromAffinity(p), Conditions.PODS_NOT_SCHEDULED,
            "pod " + p.getMetadata().getName() + " is not scheduled"
                + (sched != null && sched.getMessage() != null ? ": " + sched.getMessage() : "")));
        continue;
      }
      PodCondition reported = NodeConfiguredCondition.on(p).filter(c -> "False".equals(c.getStatus())).orElse(null);
      String waiting = waitingReason(p);
      if (reported != null) {
        // the cache's own words: the most specific reason there is
        out.add(new NodeProblem(node, Conditions.NODE_NOT_CONFIGURABLE, reported.getMessage()));
      } else if (waiting != null) {
        out.add(new NodeProblem(node, Conditions.POD_NOT_READY, "pod " + p.getMetadata().getName() + ": " + waiting));
      } else {
        PodCondition readyCondition = condition(p, "Ready");
        out.add(new NodeProblem(node, Conditions.NODE_NOT_CONFIGURABLE, "pod " + p.getMetadata().getName()
            + " runs but is not ready: the cache does not answer or cannot configure the node's runtime"
            + " (it did not say why: kubectl logs, or curl 127.0.0.1:ADMINPORT/status on the node)"
            + (readyCondition != null && readyCondition.getMessage() != null ? "; " + readyCondition.getMessage() : "")));
      }
    }
    out.sort(Comparator.comparing(n -> n.node == null ? "" : n.node));
    return out;
  }

  private static String waitingReason(Pod p) {
    if (p.getStatus() == null || p.getStatus().getContainerStatuses() == null) {
      return p.getStatus() == null ? "no status yet" : "phase " + p.getStatus().getPhase();
    }
    for (ContainerStatus cs : p.getStatus().getContainerStatuses()) {
      if (cs.getState() != null && cs.getState().getWaiting() != null) {
        var w = cs.getState().getWaiting();
        return w.getReason() + (w.getMessage() != null ? " (" + w.getMessage() + ")" : "");
      }
      if (cs.getState() != null && cs.getState().getTerminated() != null) {
        return "terminated: " + cs.getState().getTerminated().getReason();
      }
    }
    return null;
  }

  private static String nodeFromAffinity(Pod p) {
    try {
      return p.getSpec().getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
          .getNodeSelectorTerms().get(0).getMatchFields().get(0).getValues().get(0);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static boolean isReady(Pod p) {
    PodCondition c = condition(p, "Ready");
    return c != null && "True".equals(c.getStatus());
  }

  private static PodCondition condition(Pod p, String type) {
    if (p.getStatus() == null || p.getStatus().getConditions() == null) {
      return null;
    }
    return p.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
  }

  private static String summary(List<NodeProblem> problems) {
    String listed = problems.stream().limit(MESSAGE_NODES)
        .map(p -> (p.node == null ? "(unscheduled)" : p.node) + " " + p.reason).collect(Collectors.joining(", "));
    return problems.size() > MESSAGE_NODES ? listed + ", ... (status.nodesNotCaching lists all)" : listed;
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
