package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.HostPathRules;
import dev.registrycache.api.v1alpha1.PeersSpec;
import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.api.v1alpha1.RegistryCacheSpec;
import dev.registrycache.api.v1alpha1.RuntimeSpec;
import java.util.Optional;

/**
 * What the CRD's schema cannot say on Kubernetes 1.20 (no rules across fields, none on
 * {@code metadata.name}), checked before anything is applied: a failure is {@code InvalidSpec}
 * in the status, with a message that says what to change, instead of an object the API server
 * refuses or a cache pod that cannot start.
 */
final class SpecChecks {
  /** A label value holds at most 63 characters, and the name is one ({@link ResourceNames#CACHE_LABEL}). */
  static final int MAX_NAME = 63;

  private SpecChecks() {}

  static void check(RegistryCache rc) {
    String name = rc.getMetadata().getName();
    if (name.length() > MAX_NAME) {
      invalid("the name has " + name.length() + " characters; a RegistryCache's name becomes a label value of its "
          + "pods, which holds at most " + MAX_NAME);
    }
    RegistryCacheSpec spec = rc.effectiveSpec();
    if (spec.port != null && spec.port.equals(spec.adminPort)) {
      invalid("port and adminPort are both " + spec.port + ": the cache and its admin endpoints need a port each");
    }
    if (spec.metricsPort != null && (spec.metricsPort.equals(spec.port) || spec.metricsPort.equals(spec.adminPort))) {
      invalid("metricsPort " + spec.metricsPort + " is also " + (spec.metricsPort.equals(spec.port) ? "port" : "adminPort")
          + ": the metrics off the loopback need a port of their own, never the registry's");
    }
    if (spec.peers != null && !PeersSpec.DISABLED.equals(spec.peers.mode)
        && (spec.peers.port.equals(spec.port) || spec.peers.port.equals(spec.adminPort)
        || spec.peers.port.equals(spec.metricsPort))) {
      invalid("peers.port " + spec.peers.port + " is also port, adminPort or metricsPort: the peer endpoint needs a"
          + " port of its own");
    }
    for (var r : spec.registries) {
      if (r.privateContent != null && r.credentialsSecretRef != null) {
        invalid("registry " + r.name + ": privateContent applies only to a registry without credentialsSecretRef;"
            + " with credentials, everything the cache fetches is shared by every pod of the selected nodes");
      }
    }
    HostPathRules.storageProblem(spec.storage.hostPath)
        .ifPresent(p -> invalid("storage.hostPath " + spec.storage.hostPath + " " + p));
    configDir("containerd", spec.runtimes.containerd, false);
    configDir("crio", spec.runtimes.crio, true);
    String storage = spec.storage.hostPath + "/";
    for (RuntimeSpec r : new RuntimeSpec[] {spec.runtimes.containerd, spec.runtimes.crio}) {
      if (r.configDir != null && ((r.configDir + "/").startsWith(storage) || storage.startsWith(r.configDir + "/"))) {
        invalid("storage.hostPath " + spec.storage.hostPath + " and the runtime directory " + r.configDir
            + " overlap");
      }
    }
  }

  private static void configDir(String runtime, RuntimeSpec r, boolean crio) {
    if (r.configDir == null) {
      return;
    }
    Optional<String> p = HostPathRules.configDirProblem(r.configDir, crio);
    p.ifPresent(why -> invalid("runtimes." + runtime + ".configDir " + r.configDir + " " + why));
  }

  private static void invalid(String message) {
    throw new InvalidSpecException(Conditions.INVALID_SPEC, message);
  }
}
