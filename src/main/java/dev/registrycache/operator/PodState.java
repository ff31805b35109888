package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.NodeProblem;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;

/**
 * One cache pod as the status sees it: it caches (ready, and its cache says the node's runtime
 * uses it), it is still starting (nothing to warn about yet), or it has a problem with a reason;
 * and whether it runs the DaemonSet's current template, and is stuck there (kubelet cannot run
 * it: image, crash loop, configuration).
 *
 * @param ready the pod is ready: its cache serves
 * @param caching ready, and the node's runtime uses the cache
 * @param updated it runs the DaemonSet's current template
 * @param starting not caching yet, but nothing is wrong so far
 * @param stuck kubelet cannot run it, and waiting will not help
 * @param problem why its node does not cache, or {@code null} when it does or is starting
 */
record PodState(boolean ready, boolean caching, boolean updated, boolean starting, boolean stuck, NodeProblem problem) {
  /** How long a container may run without becoming ready before that is a problem. */
  static final Duration STARTUP_GRACE = Duration.ofSeconds(120);
  /** How long a ready cache may take to say whether its node is configured. */
  static final Duration REPORT_GRACE = Duration.ofSeconds(60);
  /** kubelet's waiting reasons that are part of a normal start. */
  static final Set<String> STARTING_REASONS = Set.of("ContainerCreating", "PodInitializing");
  /** The label the DaemonSet controller puts on each pod: the DaemonSet generation it was made from. */
  static final String TEMPLATE_GENERATION = "pod-template-generation";
  /** Characters of a pod's or cache's message kept in a condition. */
  static final int MESSAGE_CHARS = 300;

  static PodState of(Pod p, String templateGeneration, Instant now) {
    String name = p.getMetadata().getName();
    boolean updated = templateGeneration != null && p.getMetadata().getLabels() != null
        && templateGeneration.equals(p.getMetadata().getLabels().get(TEMPLATE_GENERATION));
    String node = p.getSpec() == null ? null : p.getSpec().getNodeName();
    if (node == null || node.isEmpty()) {
      PodCondition sched = condition(p, "PodScheduled");
      if (sched == null || !"False".equals(sched.getStatus())) {
        return new PodState(false, false, updated, true, false, null);
      }
      return problem(updated, false, new NodeProblem(nodeFromAffinity(p), NodeProblem.POD_NOT_SCHEDULED,
          "pod " + name + " is not scheduled" + (sched.getMessage() != null ? ": " + sched.getMessage() : "")));
    }
    ContainerStatus cs = p.getStatus() == null || p.getStatus().getContainerStatuses() == null
        || p.getStatus().getContainerStatuses().isEmpty() ? null : p.getStatus().getContainerStatuses().get(0);
    ContainerStateWaiting waiting = cs == null || cs.getState() == null ? null : cs.getState().getWaiting();
    boolean startingUp = cs == null || waiting != null && STARTING_REASONS.contains(waiting.getReason());
    if (waiting != null && !startingUp) {
      return problem(updated, true, new NodeProblem(node, NodeProblem.POD_NOT_READY, "pod " + name + ": "
          + waiting.getReason() + (waiting.getMessage() != null ? " (" + trim(waiting.getMessage()) + ")" : "")));
    }
    if (cs != null && cs.getState() != null && cs.getState().getTerminated() != null) {
      boolean crashing = cs.getRestartCount() != null && cs.getRestartCount() >= 3;
      return problem(updated, crashing, new NodeProblem(node, NodeProblem.POD_NOT_READY, "pod " + name
          + ": terminated: " + cs.getState().getTerminated().getReason()));
    }
    PodCondition readyCondition = condition(p, "Ready");
    boolean ready = readyCondition != null && "True".equals(readyCondition.getStatus());
    PodCondition reported = NodeConfiguredCondition.on(p).orElse(null);
    if (reported != null && !"True".equals(reported.getStatus())) {
      // the cache's own words: the most specific reason there is; it serves, so no stuck rollout
      return new PodState(ready, false, updated, false, false,
          new NodeProblem(node, NodeProblem.NODE_NOT_CONFIGURABLE, reported.getMessage()));
    }
    Instant created = time(p.getMetadata().getCreationTimestamp());
    if (startingUp) {
      if (created == null || created.plus(STARTUP_GRACE).isAfter(now)) {
        return new PodState(false, false, updated, true, false, null);
      }
      String what = waiting != null ? waiting.getReason() : "no container status";
      return problem(updated, false, new NodeProblem(node, NodeProblem.POD_NOT_READY, "pod " + name + ": " + what
          + " for more than " + STARTUP_GRACE.toSeconds() + " s (kubectl describe pod: a volume that cannot be mounted?)"));
    }
    if (!ready) {
      Instant started = cs.getState() != null && cs.getState().getRunning() != null
          ? time(cs.getState().getRunning().getStartedAt()) : null;
      if (started == null || started.plus(STARTUP_GRACE).isAfter(now)) {
        return new PodState(false, false, updated, true, false, null);
      }
      return problem(updated, true, new NodeProblem(node, NodeProblem.POD_NOT_READY, "pod " + name
          + " runs but its cache does not answer /readyz (kubectl logs; on the node curl 127.0.0.1:ADMINPORT/status)"));
    }
    if (reported != null) {
      return new PodState(true, true, updated, false, false, null);
    }
    Instant readySince = time(readyCondition.getLastTransitionTime());
    if (readySince == null || readySince.plus(REPORT_GRACE).isAfter(now)) {
      return new PodState(true, false, updated, true, false, null);
    }
    return new PodState(true, false, updated, false, false, new NodeProblem(node, NodeProblem.NODE_NOT_REPORTED,
        "pod " + name + " serves but has not said whether its node's runtime uses it for "
            + REPORT_GRACE.toSeconds() + " s: can it reach the API server? (kubectl logs)"));
  }

  private static PodState problem(boolean updated, boolean stuck, NodeProblem p) {
    return new PodState(false, false, updated, false, stuck, p);
  }

  static String trim(String s) {
    return s.length() <= MESSAGE_CHARS ? s : s.substring(0, MESSAGE_CHARS - 3) + "...";
  }

  private static Instant time(String rfc3339) {
    if (rfc3339 == null) {
      return null;
    }
    try {
      return Instant.parse(rfc3339);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static String nodeFromAffinity(Pod p) {
    try {
      return p.getSpec().getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
          .getNodeSelectorTerms().get(0).getMatchFields().get(0).getValues().get(0);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static PodCondition condition(Pod p, String type) {
    List<PodCondition> all = p.getStatus() == null ? null : p.getStatus().getConditions();
    return all == null ? null : all.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
  }
}
