package dev.registrycache.operator;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import java.util.Map;
import java.util.Optional;

/**
 * The condition a cache pod writes into its own pod's status to say whether its node's runtime
 * configuration is in place, and if not why, in the cache's words ({@code /status}). The operator
 * names the node with that reason in the RegistryCache's status, and counts the node as caching
 * only when its pod is ready and this condition is {@code True}. It is not a readiness gate:
 * readiness says only that the cache serves, so a node whose runtime cannot be configured does
 * not stop a rollout on the others.
 */
public final class NodeConfiguredCondition {
  public static final String TYPE = "registrycache.dev/NodeConfigured";
  public static final String CONFIGURED = "MirrorEntriesInPlace";
  public static final String NOT_CONFIGURABLE = dev.registrycache.api.v1alpha1.NodeProblem.NODE_NOT_CONFIGURABLE;
  static final int MAX_MESSAGE = 1024;

  private NodeConfiguredCondition() {}

  /**
   * @param since when the node last went from configured to not or back (RFC 3339)
   */
  public static PodCondition of(boolean configured, String message, String since) {
    String m = message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE - 3) + "..." : message;
    return new PodConditionBuilder().withType(TYPE).withStatus(configured ? "True" : "False")
        .withReason(configured ? CONFIGURED : NOT_CONFIGURABLE).withMessage(m)
        .withLastTransitionTime(since).build();
  }

  /** A strategic merge patch of the pod's status: the condition list is merged by type, the others stay. */
  public static Map<String, Object> statusPatch(PodCondition c) {
    return Map.of("status", Map.of("conditions", java.util.List.of(c)));
  }

  /** The condition on a pod, if its cache wrote one. */
  public static Optional<PodCondition> on(Pod p) {
    if (p.getStatus() == null || p.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return p.getStatus().getConditions().stream().filter(c -> TYPE.equals(c.getType())).findFirst();
  }
}
