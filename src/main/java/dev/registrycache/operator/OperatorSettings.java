package dev.registrycache.operator;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How the operator itself was started: its namespace (where every dependent lives), the image
 * the caches run unless a RegistryCache names one, the log format passed on to them, and how it
 * reaches the API server ({@code KUBERNETES_SERVICE_HOST}/{@code _PORT}), passed on to the cache
 * pods, which write their node's state into their pod status the same way.
 */
public record OperatorSettings(String namespace, String image, String imagePullPolicy, String logFormat,
    Map<String, String> apiServerEnv) {
  static final List<String> API_SERVER_VARIABLES = List.of("KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT");

  public OperatorSettings {
    apiServerEnv = Map.copyOf(apiServerEnv);
  }

  public OperatorSettings(String namespace, String image, String imagePullPolicy, String logFormat) {
    this(namespace, image, imagePullPolicy, logFormat, Map.of());
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
}
