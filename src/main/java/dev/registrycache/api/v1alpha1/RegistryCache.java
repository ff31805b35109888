package dev.registrycache.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A node-local pull-through cache on every selected node: cluster-scoped, because it configures
 * nodes. Its DaemonSet, ConfigMap and copies of Secrets live in the operator's namespace.
 */
@Group(RegistryCache.GROUP)
@Version(RegistryCache.VERSION)
@Kind("RegistryCache")
@Plural("registrycaches")
@Singular("registrycache")
@ShortNames("regcache")
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.ready", type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "nodes caching / nodes selected")
@AdditionalPrinterColumn(name = "Registries", jsonPath = ".status.registries", type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "registries mirrored")
@AdditionalPrinterColumn(name = "Reason", jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason",
    type = AdditionalPrinterColumn.Type.STRING, getDescription = "why the cache is (not) ready")
@AdditionalPrinterColumn(name = "Hit(1h)", jsonPath = ".status.statistics.blobHitRatio",
    type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "blob requests answered from the nodes' disks in the last hour, from the caches' counters")
@AdditionalPrinterColumn(name = "Served(1h)", jsonPath = ".status.statistics.servedFromCache",
    type = AdditionalPrinterColumn.Type.STRING, getDescription = "blob bytes sent from the nodes' disks in the last hour")
@AdditionalPrinterColumn(name = "Peers", jsonPath = ".status.statistics.peers",
    type = AdditionalPrinterColumn.Type.STRING, getDescription = "caches each node knows as peers (itself included)")
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Message", jsonPath = ".status.conditions[?(@.type==\"Ready\")].message",
    type = AdditionalPrinterColumn.Type.STRING, priority = 1,
    getDescription = "which nodes do not cache, and why")
public class RegistryCache extends CustomResource<RegistryCacheSpec, RegistryCacheStatus> {
  public static final String GROUP = "registrycache.dev";
  public static final String VERSION = "v1alpha1";

  /**
   * The spec, or the defaults when the object has none. Never sets one: the operator applies
   * partial objects (finalizers, status) with server-side apply, and a default spec in those
   * would overwrite the user's.
   */
  public RegistryCacheSpec effectiveSpec() {
    return getSpec() != null ? getSpec() : new RegistryCacheSpec();
  }
}
