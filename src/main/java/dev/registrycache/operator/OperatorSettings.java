package dev.registrycache.operator;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * How the operator itself was started, as the chart sets it:
 *
 * @param namespace where every dependent lives
 * @param image the image the caches run unless a RegistryCache names one
 * @param imagePullPolicy its pull policy
 * @param logFormat passed on to the caches
 * @param apiServerEnv how the operator reaches the API server ({@code KUBERNETES_SERVICE_HOST}/{@code _PORT}),
 *     passed on to the cache pods, which write their node's state into their pod status the same way
 * @param nodeServiceAccount the cache pods' ServiceAccount (the chart's, bound to exactly what they may do)
 * @param credentialNamespaces namespaces whose Secrets a {@code credentialsSecretRef} may name, besides
 *     {@code namespace} (the chart gives the operator a Role in each, and nothing elsewhere)
 * @param controlPlaneNodes whether the caches also run on control-plane nodes
 * @param imageArchitectures the CPU architectures of {@code image} ({@code kubernetes.io/arch} values): the
 *     caches run only on nodes of these, unless a RegistryCache's node selector names the architecture itself
 * @param metricsSecure whether the caches' (and the operator's) {@code /metrics} need TLS and a bearer token the
 *     API server authorizes (the chart's default), or are served plain
 */
public record OperatorSettings(String namespace, String image, String imagePullPolicy, String logFormat,
    Map<String, String> apiServerEnv, String nodeServiceAccount, Set<String> credentialNamespaces,
    boolean controlPlaneNodes, List<String> imageArchitectures, boolean metricsSecure) {
  static final List<String> API_SERVER_VARIABLES = List.of("KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT");
  /** The cache pods' ServiceAccount when the chart names none (the chart always does). */
  public static final String DEFAULT_NODE_SERVICE_ACCOUNT = "registry-cache-node";
  public static final List<String> DEFAULT_ARCHITECTURES = List.of("amd64");

  public OperatorSettings {
    apiServerEnv = Map.copyOf(apiServerEnv);
    Set<String> ns = new TreeSet<>(credentialNamespaces);
    ns.add(namespace);
    credentialNamespaces = Set.copyOf(ns);
    imageArchitectures = List.copyOf(imageArchitectures);
  }

  public OperatorSettings(String namespace, String image, String imagePullPolicy, String logFormat,
      Map<String, String> apiServerEnv) {
    this(namespace, image, imagePullPolicy, logFormat, apiServerEnv, DEFAULT_NODE_SERVICE_ACCOUNT, Set.of(), true,
        DEFAULT_ARCHITECTURES, true);
  }

  public OperatorSettings(String namespace, String image, String imagePullPolicy, String logFormat) {
    this(namespace, image, imagePullPolicy, logFormat, Map.of());
  }

  public OperatorSettings withCredentialNamespaces(Set<String> namespaces) {
    return new OperatorSettings(namespace, image, imagePullPolicy, logFormat, apiServerEnv, nodeServiceAccount,
        namespaces, controlPlaneNodes, imageArchitectures, metricsSecure);
  }

  public OperatorSettings withControlPlaneNodes(boolean on) {
    return new OperatorSettings(namespace, image, imagePullPolicy, logFormat, apiServerEnv, nodeServiceAccount,
        credentialNamespaces, on, imageArchitectures, metricsSecure);
  }

  public OperatorSettings withImageArchitectures(List<String> architectures) {
    return new OperatorSettings(namespace, image, imagePullPolicy, logFormat, apiServerEnv, nodeServiceAccount,
        credentialNamespaces, controlPlaneNodes, architectures, metricsSecure);
  }

  public OperatorSettings withNodeServiceAccount(String name) {
    return new OperatorSettings(namespace, image, imagePullPolicy, logFormat, apiServerEnv, name,
        credentialNamespaces, controlPlaneNodes, imageArchitectures, metricsSecure);
  }

  public OperatorSettings withMetricsSecure(boolean secure) {
    return new OperatorSettings(namespace, image, imagePullPolicy, logFormat, apiServerEnv, nodeServiceAccount,
        credentialNamespaces, controlPlaneNodes, imageArchitectures, secure);
  }

  /** The variables naming the API server, from an environment such as {@link System#getenv()}. */
  public static Map<String, String> apiServerEnv(Map<String, String> environment) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : API_SERVER_VARIABLES) {
      String v = environment.get(name);
      if (v != null && !v.isBlank()) {
        out.put(name, v);
      }
    }
    return out;
  }

  /** A comma- or space-separated list as the chart passes it (empty entries dropped). */
  public static List<String> list(String value) {
    if (value == null || value.isBlank()) {
      return List.of();
    }
    return java.util.Arrays.stream(value.split("[,\\s]+")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }
}
