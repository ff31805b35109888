package dev.registrycache.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** A selected node that does not cache, and why. */
public class NodeProblem {
  public static final String POD_NOT_SCHEDULED = "PodNotScheduled";
  public static final String POD_NOT_READY = "PodNotReady";
  public static final String NODE_NOT_CONFIGURABLE = "NodeNotConfigurable";
  public static final String NODE_NOT_REPORTED = "NodeNotReported";
  public static final String UNSUPPORTED_ARCHITECTURE = "UnsupportedArchitecture";
  /** Every per-node reason, as the CRD describes them. */
  public static final java.util.List<String> REASONS = java.util.List.of(POD_NOT_SCHEDULED, POD_NOT_READY,
      NODE_NOT_CONFIGURABLE, NODE_NOT_REPORTED, UNSUPPORTED_ARCHITECTURE);

  @JsonPropertyDescription("The node.")
  public String node;

  @JsonPropertyDescription("PodNotScheduled (no pod runs there: taint, resources, host port), PodNotReady (kubelet's "
      + "reason: image pull, crash loop), NodeNotConfigurable (the cache serves but cannot configure the node's "
      + "runtime; the message is its reason), NodeNotReported (the cache serves but has not said whether its node "
      + "is configured: can it reach the API server?), UnsupportedArchitecture (the node's CPU is not one the cache "
      + "image is built for).")
  public String reason;

  @JsonPropertyDescription("What the cache pod on that node says.")
  public String message;

  public NodeProblem() {}

  public NodeProblem(String node, String reason, String message) {
    this.node = node;
    this.reason = reason;
    this.message = message;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NodeProblem p && Objects.equals(node, p.node) && Objects.equals(reason, p.reason)
        && Objects.equals(message, p.message);
  }

  @Override
  public int hashCode() {
    return Objects.hash(node, reason, message);
  }
}
