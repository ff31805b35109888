package dev.registrycache.api.v1alpha1;

import java.util.List;
import java.util.Optional;

/**
 * Which node directories a RegistryCache may have its root pods write: the storage directory
 * and the runtimes' mirror directories. The CRD's pattern refuses malformed paths (relative,
 * {@code .} or {@code ..} segments, a trailing slash, {@code /} itself); the rest (system
 * directories, and paths that contain one) the operator refuses with these messages, since the
 * API server of Kubernetes 1.20 has no rule language for it.
 */
public final class HostPathRules {
  /** Absolute, at least one segment, no segment starting with a dot, no empty segment (RE2 and Java alike). */
  public static final String PATTERN = "^(/[A-Za-z0-9_][A-Za-z0-9._-]*)+$";
  /**
   * Directories whose contents decide what a node runs or who may use it: never writable by a
   * cache pod, neither themselves, nor anything inside them, nor a directory that contains them.
   */
  public static final List<String> SYSTEM = List.of("/bin", "/boot", "/dev", "/etc/kubernetes", "/etc/pki",
      "/etc/ssh", "/etc/ssl", "/etc/sudoers.d", "/etc/systemd", "/etc/cron.d", "/etc/init.d", "/lib", "/lib32",
      "/lib64", "/libx32", "/proc", "/root", "/run", "/sbin", "/sys", "/usr", "/var/lib/containerd",
      "/var/lib/containers", "/var/lib/docker", "/var/lib/etcd", "/var/lib/kubelet", "/var/log", "/var/run");
  static final String CONTAINERD_SUFFIX = "/certs.d";
  static final String CRIO_SUFFIX = "/registries.conf.d";

  private HostPathRules() {}

  /** Why {@code path} may not hold the cache's content, if it may not. */
  public static Optional<String> storageProblem(String path) {
    Optional<String> system = systemProblem(path);
    if (system.isPresent()) {
      return system;
    }
    if (path.equals("/etc") || path.startsWith("/etc/")) {
      return Optional.of("is under /etc, which holds the node's configuration, not content");
    }
    return Optional.empty();
  }

  /** Why {@code path} may not be the containerd (or, with {@code crio}, CRI-O) mirror directory. */
  public static Optional<String> configDirProblem(String path, boolean crio) {
    String suffix = crio ? CRIO_SUFFIX : CONTAINERD_SUFFIX;
    if (!path.endsWith(suffix) || path.equals(suffix)) {
      return Optional.of("is not a " + (crio ? "CRI-O registries.conf.d" : "containerd certs.d")
          + " directory (it must end in " + suffix + ")");
    }
    return systemProblem(path);
  }

  private static Optional<String> systemProblem(String path) {
    if (!path.matches(PATTERN)) {
      return Optional.of("is not an absolute path of plain segments (no ., .., // or trailing /)");
    }
    for (String s : SYSTEM) {
      if (path.equals(s) || path.startsWith(s + "/")) {
        return Optional.of("is " + (path.equals(s) ? "" : "inside ") + s + ", a system directory");
      }
      if (s.startsWith(path + "/")) {
        return Optional.of("contains " + s + ", a system directory");
      }
    }
    return Optional.empty();
  }
}
