package dev.registrycache.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** A selected node that does not cache, and why. */
public class NodeProblem {
  @JsonPropertyDescription("The node.")
  public String node;

  @JsonPropertyDescription("CamelCase reason, e.g. PodNotScheduled, PodNotReady, NodeNotConfigurable.")
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
