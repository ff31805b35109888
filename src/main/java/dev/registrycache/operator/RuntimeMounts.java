package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.CrioRuntimeSpec;
import dev.registrycache.api.v1alpha1.RegistryCacheSpec;
import dev.registrycache.api.v1alpha1.RuntimeSpec;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What of the node a cache pod sees of its container runtimes, and how it is told where.
 *
 * <p>Both runtimes {@code auto} without a directory: for each runtime some selected node runs
 * (both while no node reports one), its configuration directory read-only (containerd:
 * {@code /etc/containerd}; CRI-O: {@code /etc/crio} and {@code /etc/containers}) so the cache
 * finds out what the node runs, and its default mirror directory writable inside it. Otherwise
 * exactly the mirror directories of the enabled runtimes (and of an {@code auto} one that names
 * its directory), writable, and for CRI-O {@code /etc/crio} read-only. Nothing else of the
 * node's {@code /etc}. CRI-O with {@code reload} also shares the node's PID namespace, to send
 * CRI-O SIGHUP after its drop-in changed.
 *
 * @param configureNode whether the cache writes mirror entries at all
 * @param hostPid whether the pod needs the node's PID namespace
 */
record RuntimeMounts(List<Volume> volumes, List<VolumeMount> mounts, List<EnvVar> env, boolean configureNode,
    boolean hostPid) {

  static RuntimeMounts of(RegistryCacheSpec spec, Set<ClusterNodes.Runtime> runtimes) {
    RuntimeSpec containerd = spec.runtimes.containerd;
    CrioRuntimeSpec crio = spec.runtimes.crio;
    RuntimeMounts m = new RuntimeMounts(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), false, false);
    boolean reload = !Boolean.FALSE.equals(crio.reload);
    if (detects(spec)) {
      boolean withCrio = runtimes.contains(ClusterNodes.Runtime.CRIO);
      if (runtimes.contains(ClusterNodes.Runtime.CONTAINERD)) {
        m.readOnly("containerd-etc", DaemonSetModel.CONTAINERD_ETC);
        m.writable("containerd-config", DaemonSetModel.CONTAINERD_DEFAULT_DIR);
      }
      if (withCrio) {
        m.readOnly("crio-etc", DaemonSetModel.CRIO_ETC);
        m.readOnly("containers-etc", DaemonSetModel.CONTAINERS_ETC);
        m.writable("crio-config", DaemonSetModel.CRIO_DEFAULT_DIR);
      }
      // detection reports a node it cannot configure (Docker Engine, nothing found) in its status
      return m.finish(true, withCrio && reload);
    }
    boolean any = false;
    if (enabled(containerd)) {
      String dir = containerd.configDir != null ? containerd.configDir : DaemonSetModel.CONTAINERD_DEFAULT_DIR;
      m.writable("containerd-config", dir);
      m.env.add(new EnvVar("REGISTRY_CACHE_CONTAINERD_CERTS_DIR", DaemonSetModel.HOST_ROOT + dir, null));
      any = true;
    }
    boolean withCrio = enabled(crio);
    if (withCrio) {
      String dir = crio.configDir != null ? crio.configDir : DaemonSetModel.CRIO_DEFAULT_DIR;
      m.readOnly("crio-etc", DaemonSetModel.CRIO_ETC);
      m.writable("crio-config", dir);
      m.env.add(new EnvVar("REGISTRY_CACHE_REGISTRIES_CONF_DIR", DaemonSetModel.HOST_ROOT + dir, null));
      any = true;
    }
    return m.finish(any, withCrio && reload);
  }

  /** True when the cache detects the node's runtimes itself. */
  static boolean detects(RegistryCacheSpec spec) {
    RuntimeSpec containerd = spec.runtimes.containerd;
    RuntimeSpec crio = spec.runtimes.crio;
    return RuntimeSpec.AUTO.equals(containerd.mode) && RuntimeSpec.AUTO.equals(crio.mode)
        && containerd.configDir == null && crio.configDir == null;
  }

  private static boolean enabled(RuntimeSpec runtime) {
    return RuntimeSpec.ENABLED.equals(runtime.mode) || RuntimeSpec.AUTO.equals(runtime.mode) && runtime.configDir != null;
  }

  private void readOnly(String name, String hostDir) {
    volumes.add(DaemonSetModel.hostPath(name, hostDir));
    mounts.add(DaemonSetModel.mount(name, DaemonSetModel.HOST_ROOT + hostDir, true));
  }

  private void writable(String name, String hostDir) {
    volumes.add(DaemonSetModel.hostPath(name, hostDir));
    mounts.add(DaemonSetModel.mount(name, DaemonSetModel.HOST_ROOT + hostDir, false));
  }

  private RuntimeMounts finish(boolean configure, boolean reloadCrio) {
    if (reloadCrio) {
      env.add(new EnvVar("REGISTRY_CACHE_RELOAD_CRIO", "true", null));
    }
    return new RuntimeMounts(List.copyOf(volumes), List.copyOf(mounts), List.copyOf(env), configure, reloadCrio);
  }
}
