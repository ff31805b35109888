package dev.registrycache.cli;

import dev.registrycache.node.NodeMirrorPlan;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the node's runtime configuration lives and how to write it (shared by cache and cleanup). */
public final class NodeOptions {
  @Option(names = "--host-root", description = "where the node's / is mounted (env: REGISTRY_CACHE_HOST_ROOT; default /)",
      defaultValue = "${env:REGISTRY_CACHE_HOST_ROOT:-/}")
  Path hostRoot;

  @Option(names = "--containerd-certs-dir", description = "containerd hosts directory; disables detection for containerd "
      + "(env: REGISTRY_CACHE_CONTAINERD_CERTS_DIR)", defaultValue = "${env:REGISTRY_CACHE_CONTAINERD_CERTS_DIR}")
  Path containerdCertsDir;

  @Option(names = "--registries-conf-dir", description = "containers-registries.conf drop-in directory; disables detection "
      + "for CRI-O (env: REGISTRY_CACHE_REGISTRIES_CONF_DIR)", defaultValue = "${env:REGISTRY_CACHE_REGISTRIES_CONF_DIR}")
  Path registriesConfDir;

  @Option(names = "--default-entry", negatable = true, description = "also send every other registry through the cache "
      + "(containerd _default; env: REGISTRY_CACHE_DEFAULT_ENTRY)", defaultValue = "${env:REGISTRY_CACHE_DEFAULT_ENTRY:-false}")
  boolean defaultEntry;

  @Option(names = "--keep-existing-hosts", negatable = true, description = "keep hosts of an admin's hosts.toml after ours "
      + "(env: REGISTRY_CACHE_KEEP_EXISTING_HOSTS)", defaultValue = "${env:REGISTRY_CACHE_KEEP_EXISTING_HOSTS:-true}")
  boolean keepExistingHosts;

  @Option(names = "--dial-timeout", description = "containerd dial_timeout for the cache host (env: REGISTRY_CACHE_DIAL_TIMEOUT)",
      defaultValue = "${env:REGISTRY_CACHE_DIAL_TIMEOUT:-500ms}")
  String dialTimeout;

  @Option(names = "--reload-crio", negatable = true, description = "SIGHUP CRI-O after changing its drop-in; needs the host "
      + "PID namespace (env: REGISTRY_CACHE_RELOAD_CRIO)", defaultValue = "${env:REGISTRY_CACHE_RELOAD_CRIO:-false}")
  boolean reloadCrio;

  @Option(names = "--container-runtime-version", description = "the Node's containerRuntimeVersion, e.g. containerd://1.7.2 "
      + "(env: REGISTRY_CACHE_CONTAINER_RUNTIME_VERSION)", defaultValue = "${env:REGISTRY_CACHE_CONTAINER_RUNTIME_VERSION}")
  String containerRuntimeVersion;

  /** True when neither directory was given: find them under the host root. */
  boolean autoDetect() {
    return containerdCertsDir == null && registriesConfDir == null;
  }

  NodeMirrorPlan.Options options() {
    NodeMirrorPlan.Options o = NodeMirrorPlan.Options.defaults(hostRoot)
        .withDefaultEntry(defaultEntry)
        .withKeepExistingHosts(keepExistingHosts)
        .withDialTimeout(dialTimeout)
        .withReloadCrio(reloadCrio);
    if (!autoDetect()) {
      o = o.withContainerdCertsDir(containerdCertsDir).withRegistriesConfDir(registriesConfDir);
    }
    return o;
  }
}
