package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.RegistryCache;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.LinkedHashMap;
import java.util.Map;

/** Every name and label of what the operator creates for a RegistryCache: the one place for them. */
public final class ResourceNames {
  public static final String APP = "registry-cache";
  public static final String COMPONENT = "node-cache";
  public static final String MANAGED_BY = "registry-cache-operator";
  /** Label on every dependent: the RegistryCache it belongs to. */
  public static final String CACHE_LABEL = "registrycache.dev/cache";
  /** Pod-template annotation: hash of the config and credentials, so a change rolls the pods. */
  public static final String CONFIG_HASH = "registrycache.dev/config-hash";
  /** The finalizer of earlier versions, which the operator now removes ({@link LegacyFinalizer}). */
  public static final String LEGACY_FINALIZER = "registrycache.dev/node-cleanup";
  public static final String CONFIG_FILE = "config.yaml";
  public static final String CONTAINER = "cache";
  /** Name of the cache container's metrics port (PodMonitor and prometheus.yml select it by name). */
  public static final String METRICS_PORT = "metrics";

  private ResourceNames() {}

  private static String base(RegistryCache rc) {
    return APP + "-" + rc.getMetadata().getName();
  }

  public static String daemonSet(RegistryCache rc) {
    return base(rc);
  }

  public static String configMap(RegistryCache rc) {
    return base(rc) + "-config";
  }

  public static String credentialsSecret(RegistryCache rc) {
    return base(rc) + "-credentials";
  }

  /** The headless Service whose EndpointSlices list the ready caches to each other. */
  public static String peerService(RegistryCache rc) {
    return base(rc) + "-peers";
  }

  /** The peer port's name on the cache container and the Service. */
  public static final String PEER_PORT = "peer";

  /** Labels on every dependent object (and the DaemonSet's pods). */
  public static Map<String, String> labels(RegistryCache rc) {
    Map<String, String> l = new LinkedHashMap<>(selector(rc));
    l.put("app.kubernetes.io/component", COMPONENT);
    l.put("app.kubernetes.io/managed-by", MANAGED_BY);
    return l;
  }

  /** Metadata of a dependent: its name, the operator's namespace, the labels. */
  public static ObjectMeta metadata(RegistryCache rc, String name, String namespace) {
    return new ObjectMetaBuilder().withName(name).withNamespace(namespace).withLabels(labels(rc)).build();
  }

  /** The DaemonSet's selector: immutable, so only what never changes. */
  public static Map<String, String> selector(RegistryCache rc) {
    Map<String, String> l = new LinkedHashMap<>();
    l.put("app.kubernetes.io/name", APP);
    l.put(CACHE_LABEL, rc.getMetadata().getName());
    return l;
  }
}
