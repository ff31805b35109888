package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.RegistryCache;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The finalizer earlier versions put on every RegistryCache: it kept a RegistryCache whose
 * operator was gone Terminating forever. Nothing needs it (garbage collection removes the
 * DaemonSet, and each cache pod restores its node when it stops), so the operator takes it off
 * every RegistryCache it sees, those being deleted included, once at start and at each
 * reconciliation.
 */
final class LegacyFinalizer {
  static final String NAME = ResourceNames.LEGACY_FINALIZER;
  private static final Logger LOG = LoggerFactory.getLogger(LegacyFinalizer.class);

  private LegacyFinalizer() {}

  static void remove(KubernetesClient client, RegistryCache rc) {
    List<String> finalizers = rc.getMetadata().getFinalizers();
    if (finalizers == null || !finalizers.contains(NAME)) {
      return;
    }
    try {
      client.resources(RegistryCache.class).withName(rc.getMetadata().getName()).edit(r -> {
        r.getMetadata().getFinalizers().remove(NAME);
        return r;
      });
      LOG.info("RegistryCache {}: removed the finalizer {} of an earlier version", rc.getMetadata().getName(), NAME);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        LOG.warn("RegistryCache {}: cannot remove the finalizer {}: {}", rc.getMetadata().getName(), NAME,
            e.getMessage());
      }
    }
  }

  /** Every RegistryCache, those being deleted included (the controller does not see those). */
  static void removeEverywhere(KubernetesClient client) {
    try {
      client.resources(RegistryCache.class).list().getItems().forEach(rc -> remove(client, rc));
    } catch (KubernetesClientException e) {
      LOG.warn("cannot list RegistryCaches to remove the finalizer {}: {}", NAME, e.getMessage());
    }
  }
}
