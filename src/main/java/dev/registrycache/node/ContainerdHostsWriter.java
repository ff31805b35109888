package dev.registrycache.node;

import dev.registrycache.files.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Writes one containerd {@code hosts.toml} per mirrored registry into a hosts directory
 * ({@code config_path}, usually {@code /etc/containerd/certs.d}) and undoes it.
 *
 * <ul>
 *   <li>{@code <certsDir>/<registry>/hosts.toml}: the cache as first host
 *       ({@code capabilities = ["pull", "resolve"]}, short {@code dial_timeout}), the real registry as
 *       {@code server}. containerd adds {@code ?ns=<registry>} to every request sent to the cache.
 *   <li>{@code <certsDir>/_default/hosts.toml} (optional): same host, no server, for every registry
 *       without its own directory.
 *   <li>An administrator's file found there is first copied (bytes, mode, times) to
 *       {@code <certsDir>/_backup/registry-cache/hosts/<registry>/hosts.toml}; its hosts can be kept
 *       after ours; {@link #restore()} moves it back.
 * </ul>
 *
 * Files without our marker line are never overwritten or deleted except through that backup.
 * Every step is idempotent, and all state needed to undo lives on disk ({@link CertsDirState}).
 */
public final class ContainerdHostsWriter {
  /** containerd's fallback namespace for registries without their own directory. */
  public static final String DEFAULT_NAMESPACE = "_default";

  private final Path certsDir;

  public ContainerdHostsWriter(Path certsDir) {
    this.certsDir = certsDir;
  }

  public Path certsDir() {
    return certsDir;
  }

  /**
   * Brings the directory to the plan: writes or updates our files for the plan's registries (and
   * {@code _default} when enabled) and restores every other namespace we had configured.
   */
  public ConfigChanges apply(NodeMirrorPlan plan) throws IOException {
    ConfigChanges changes = new ConfigChanges();
    Map<String, String> wanted = new LinkedHashMap<>();
    for (NodeMirrorPlan.MirroredRegistry r : plan.registries()) {
      wanted.put(r.name(), r.containerdServer());
    }
    if (plan.options().defaultEntry()) {
      wanted.put(DEFAULT_NAMESPACE, null);
    }
    CertsDirState state = CertsDirState.load(certsDir);
    for (String ns : ourNamespaces(state)) {
      if (!wanted.containsKey(ns)) {
        restoreNamespace(state, ns, changes);
      }
    }
    for (Map.Entry<String, String> e : wanted.entrySet()) {
      boolean explicitServer = !DEFAULT_NAMESPACE.equals(e.getKey())
          && plan.registries().stream().anyMatch(r -> r.name().equals(e.getKey()) && r.upstreamServer() != null);
      writeNamespace(state, e.getKey(), e.getValue(), explicitServer, plan, changes);
    }
    state.removeIfUnused();
    return changes;
  }

  /** Removes everything {@link #apply} wrote and puts back what was there before. */
  public ConfigChanges restore() throws IOException {
    ConfigChanges changes = new ConfigChanges();
    if (!Files.isDirectory(certsDir)) {
      return changes;
    }
    CertsDirState state = CertsDirState.load(certsDir);
    for (String ns : ourNamespaces(state)) {
      restoreNamespace(state, ns, changes);
    }
    state.removeIfUnused();
    return changes;
  }

  /** Namespaces with a file of ours, a saved backup, or a directory we created. */
  private Set<String> ourNamespaces(CertsDirState state) throws IOException {
    Set<String> out = new TreeSet<>(state.backedUpNamespaces());
    if (Files.isDirectory(certsDir)) {
      try (var entries = Files.list(certsDir)) {
        for (Path dir : (Iterable<Path>) entries::iterator) {
          if (ManagedFiles.isManaged(dir.resolve("hosts.toml"))) {
            out.add(dir.getFileName().toString());
          }
        }
      }
    }
    for (String d : state.createdDirectories()) {
      if (!d.equals(CertsDirState.CERTS_DIR_ITSELF) && !d.equals(CertsDirState.BACKUP_DIR)) {
        out.add(d);
      }
    }
    return out;
  }

  private void writeNamespace(CertsDirState state, String ns, String defaultServer, boolean explicitServer,
      NodeMirrorPlan plan, ConfigChanges changes) throws IOException {
    Path dir = certsDir.resolve(ns);
    Path file = dir.resolve("hosts.toml");
    Path backup = state.backupOf(ns);
    if (!Files.isDirectory(dir)) {
      if (ManagedFiles.present(dir)) {
        changes.warn("not configuring " + ns + ": " + dir + " exists and is not a directory");
        return;
      }
      state.createDirectory(ns);
      changes.did("created " + dir);
    }
    boolean adminFile = ManagedFiles.present(file) && !ManagedFiles.isManaged(file);
    if (adminFile && Files.isDirectory(file)) {
      changes.warn("not configuring " + ns + ": " + file + " is a directory");
      return;
    }
    // Read what is kept before anything is saved or written: an administrator's file that is not
    // valid TOML stops this namespace here, with the node as it was.
    Path previous = adminFile ? file : backup;
    HostsToml.Existing existing = null;
    if (plan.options().keepExistingHosts() && ManagedFiles.present(previous)) {
      if (Files.isRegularFile(previous)) {
        try {
          existing = HostsToml.Existing.of(Toml.read(previous), plan.cacheUrl(), previous.toString());
        } catch (Toml.InvalidTomlException e) {
          changes.fail("not configuring " + ns + ": " + e.getMessage() + "; correct it (containerd cannot read"
              + " it either) or run with --no-keep-existing-hosts");
          return;
        }
      } else {
        changes.warn("cannot keep the hosts of " + previous + ": not a regular file");
      }
    }
    if (adminFile) {
      state.ensureOwnDir();
      Path backupDir = backup.getParent();
      if (!Files.isDirectory(backupDir)) {
        if (!Files.isDirectory(backupDir.getParent())) {
          ManagedFiles.createDirectory(backupDir.getParent());
        }
        ManagedFiles.createDirectory(backupDir);
      }
      AtomicFiles.copyDurably(file, backup);
      changes.did("saved the existing " + file + " as " + backup);
    }
    boolean hasBackup = ManagedFiles.present(backup);
    String server = !explicitServer && existing != null && existing.server().isPresent()
        ? existing.server().get() : defaultServer;
    String content = HostsToml.render(ns, server, plan.cacheUrl(), plan.options().dialTimeout(),
        hasBackup ? state.backupDisplayPath(ns) : null, existing);
    if (ManagedFiles.writeTomlIfChanged(file, content,
        parsed -> HostsToml.verify(parsed, server, plan.cacheUrl(), file.toString()))) {
      changes.did("wrote " + file);
    }
  }

  private void restoreNamespace(CertsDirState state, String ns, ConfigChanges changes) throws IOException {
    Path dir = certsDir.resolve(ns);
    Path file = dir.resolve("hosts.toml");
    Path backup = state.backupOf(ns);
    boolean hasBackup = ManagedFiles.present(backup);
    if (ManagedFiles.isManaged(file)) {
      if (hasBackup) {
        ManagedFiles.moveOver(backup, file);
        changes.did("put back the previous " + file);
      } else {
        ManagedFiles.delete(file);
        changes.did("removed " + file);
      }
    } else if (ManagedFiles.present(file)) {
      if (hasBackup) {
        // Someone replaced our file after we saved theirs: the newer file wins.
        ManagedFiles.delete(backup);
        changes.warn(file + " was replaced by someone else; kept it and dropped the older copy " + backup);
      }
    } else if (hasBackup) {
      if (!Files.isDirectory(dir)) {
        ManagedFiles.createDirectory(dir);
      }
      ManagedFiles.moveOver(backup, file);
      changes.did("put back the previous " + file + " (ours had been deleted)");
    }
    ManagedFiles.deleteIfEmpty(backup.getParent());
    AtomicFiles.removeStaleTemporaries(dir, "hosts.toml");
    if (state.createdByUs(ns)) {
      if (ManagedFiles.deleteIfEmpty(dir)) {
        changes.did("removed " + dir);
      } else {
        changes.warn("kept " + dir + ": it now holds files that are not ours");
      }
      state.forget(ns);
    }
  }
}
