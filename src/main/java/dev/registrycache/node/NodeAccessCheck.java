package dev.registrycache.node;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * What stands between written mirror entries and a runtime that uses them, beyond the runtime's
 * own configuration ({@link RuntimeDetector}): a mirror directory this process may not write (a
 * cache pod has only the runtimes' default mirror directories writable, so a containerd
 * {@code config_path} elsewhere must be named in the RegistryCache), and a CRI-O that reads new
 * drop-ins only when it reloads, while nobody may make it reload. One sentence each, saying what
 * to change.
 */
final class NodeAccessCheck {
  private NodeAccessCheck() {}

  /**
   * @param hostRoot where the node's {@code /} is seen (paths in messages are the node's)
   * @param crioProcessVisible whether a {@code crio} process can be signalled from here (asked only when it matters)
   */
  static List<String> problems(NodeMirrorPlan.Options o, Path hostRoot, BooleanSupplier crioProcessVisible) {
    return problems(o, hostRoot, crioProcessVisible, NodeAccessCheck::writable);
  }

  /** @param writable whether entries can be written in a directory (a read-only mount says no) */
  static List<String> problems(NodeMirrorPlan.Options o, Path hostRoot, BooleanSupplier crioProcessVisible,
      Predicate<Path> writable) {
    List<String> out = new ArrayList<>();
    if (o.containerdCertsDir() != null && !writable.test(o.containerdCertsDir())) {
      String dir = onNode(hostRoot, o.containerdCertsDir());
      out.add("containerd: its mirror directory " + dir + " cannot be written here (only the runtimes' default "
          + "mirror directories are mounted writable); set spec.runtimes.containerd.configDir: " + dir);
    }
    if (o.registriesConfDir() != null && !writable.test(o.registriesConfDir())) {
      String dir = onNode(hostRoot, o.registriesConfDir());
      out.add("CRI-O: its drop-in directory " + dir + " cannot be written here; set spec.runtimes.crio.configDir: "
          + dir);
    }
    RuntimeDetector detector = new RuntimeDetector(hostRoot);
    if (o.registriesConfDir() != null && detector.crioRuns() && !detector.crioAutoReloads()) {
      if (!o.reloadCrio()) {
        out.add("CRI-O reads registries.conf.d only when it reloads or restarts, and the cache may not reload it "
            + "(spec.runtimes.crio.reload: false): it uses the cache only after its next restart; set "
            + "spec.runtimes.crio.reload: true, or auto_reload_registries = true in crio.conf");
      } else if (!crioProcessVisible.getAsBoolean()) {
        out.add("CRI-O reads registries.conf.d only when it reloads, and no crio process is visible to send it "
            + "SIGHUP (the pod needs the node's PID namespace, hostPID)");
      }
    }
    return out;
  }

  /** True when entries can be written: the directory is writable, or can be made in a writable parent. */
  private static boolean writable(Path dir) {
    if (Files.isDirectory(dir)) {
      return Files.isWritable(dir);
    }
    Path parent = dir.getParent();
    while (parent != null && !Files.exists(parent)) {
      parent = parent.getParent();
    }
    return parent != null && Files.isDirectory(parent) && Files.isWritable(parent);
  }

  private static String onNode(Path hostRoot, Path p) {
    return p.startsWith(hostRoot) ? "/" + hostRoot.relativize(p) : p.toString();
  }
}
