package dev.registrycache.operator;

import io.fabric8.kubernetes.api.model.Node;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the operator knows of the cluster's nodes: their labels and container runtime (a Node
 * informer keeps only these fields). It decides which runtimes' directories the cache pods need
 * and which selected nodes the image's architectures leave out; nothing else depends on it.
 */
public final class ClusterNodes {
  /** A container runtime as the Node reports it in {@code status.nodeInfo.containerRuntimeVersion}. */
  public enum Runtime { CONTAINERD, CRIO, OTHER }

  public static final String ARCH_LABEL = "kubernetes.io/arch";
  /** Labels of control-plane nodes (the second one before Kubernetes 1.24). */
  public static final List<String> CONTROL_PLANE_LABELS =
      List.of("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master");
  /** The fields of a Node the informer keeps. */
  public static final String[] KEPT_FIELDS = {"metadata.labels", "status.nodeInfo.containerRuntimeVersion"};

  /** One node: its name, labels and runtime ({@code null} when it reports none yet). */
  public record NodeFacts(String name, Map<String, String> labels, Runtime runtime) {
    public NodeFacts {
      labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    static NodeFacts of(Node n) {
      String v = n.getStatus() == null || n.getStatus().getNodeInfo() == null ? null
          : n.getStatus().getNodeInfo().getContainerRuntimeVersion();
      return new NodeFacts(n.getMetadata().getName(), n.getMetadata().getLabels(), ClusterNodes.runtime(v));
    }

    boolean controlPlane() {
      return CONTROL_PLANE_LABELS.stream().anyMatch(labels::containsKey);
    }
  }

  /** No node known (a cluster without nodes, or a test). */
  public static final ClusterNodes NONE = new ClusterNodes(List.of());

  private final List<NodeFacts> nodes;

  public ClusterNodes(List<NodeFacts> nodes) {
    this.nodes = nodes.stream().sorted(Comparator.comparing(NodeFacts::name)).toList();
  }

  public static ClusterNodes of(Collection<Node> nodes) {
    return new ClusterNodes(nodes.stream().map(NodeFacts::of).toList());
  }

  static Runtime runtime(String containerRuntimeVersion) {
    if (containerRuntimeVersion == null || containerRuntimeVersion.isBlank()) {
      return null;
    }
    String scheme = containerRuntimeVersion.strip();
    int sep = scheme.indexOf("://");
    scheme = sep < 0 ? scheme : scheme.substring(0, sep);
    return switch (scheme) {
      case "containerd" -> Runtime.CONTAINERD;
      case "cri-o" -> Runtime.CRIO;
      default -> Runtime.OTHER;
    };
  }

  /** The nodes a node selector picks (before architectures), honouring the control-plane choice. */
  List<NodeFacts> selected(Map<String, String> selector, boolean controlPlaneNodes) {
    List<NodeFacts> out = new ArrayList<>();
    for (NodeFacts n : nodes) {
      boolean matches = selector.entrySet().stream().allMatch(e -> e.getValue().equals(n.labels().get(e.getKey())));
      if (matches && (controlPlaneNodes || !n.controlPlane())) {
        out.add(n);
      }
    }
    return out;
  }

  /**
   * The runtimes the selected nodes report; every one the cache can configure when none reports
   * one yet (no node, or nodes still registering), so the first pods are not without directories.
   */
  Set<Runtime> runtimes(Map<String, String> selector, boolean controlPlaneNodes) {
    Set<Runtime> found = EnumSet.noneOf(Runtime.class);
    selected(selector, controlPlaneNodes).forEach(n -> {
      if (n.runtime() != null) {
        found.add(n.runtime());
      }
    });
    return found.isEmpty() ? EnumSet.of(Runtime.CONTAINERD, Runtime.CRIO) : found;
  }

  /** Selected nodes whose architecture the image does not have (empty when the selector names one). */
  List<NodeFacts> unsupported(Map<String, String> selector, boolean controlPlaneNodes, List<String> architectures) {
    if (selector.containsKey(ARCH_LABEL)) {
      return List.of();
    }
    return selected(selector, controlPlaneNodes).stream()
        .filter(n -> !architectures.contains(n.labels().getOrDefault(ARCH_LABEL, ""))).toList();
  }
}
