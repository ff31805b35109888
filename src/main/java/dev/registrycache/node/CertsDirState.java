package dev.registrycache.node;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What registry-cache must remember to undo its containerd configuration, kept on disk inside the
 * certs directory so that a new process (after a crash or on another start) can restore the node:
 *
 * <pre>
 * &lt;certsDir&gt;/_backup/registry-cache/state                  directories we created (relative to certsDir)
 * &lt;certsDir&gt;/_backup/registry-cache/hosts/&lt;ns&gt;/hosts.toml   the administrator's file we replaced
 * </pre>
 *
 * containerd only reads {@code <certsDir>/<namespace>/hosts.toml}, so nothing below {@code _backup}
 * is ever taken for registry configuration.
 */
final class CertsDirState {
  static final String BACKUP_DIR = "_backup";
  static final String OWN_DIR = "registry-cache";
  static final String CERTS_DIR_ITSELF = ".";

  private final Path certsDir;
  private final Set<String> created = new LinkedHashSet<>();

  private CertsDirState(Path certsDir) {
    this.certsDir = certsDir;
  }

  static CertsDirState load(Path certsDir) throws IOException {
    CertsDirState s = new CertsDirState(certsDir);
    Path f = s.stateFile();
    if (Files.isRegularFile(f)) {
      for (String line : Files.readAllLines(f, UTF_8)) {
        String t = line.strip();
        if (!t.isEmpty() && !t.startsWith("#")) {
          s.created.add(t);
        }
      }
    }
    return s;
  }

  Path ownDir() {
    return certsDir.resolve(BACKUP_DIR).resolve(OWN_DIR);
  }

  Path stateFile() {
    return ownDir().resolve("state");
  }

  Path backupsDir() {
    return ownDir().resolve("hosts");
  }

  Path backupOf(String namespace) {
    return backupsDir().resolve(namespace).resolve("hosts.toml");
  }

  /** The backup path as written into our hosts.toml comment, relative to that hosts.toml. */
  String backupDisplayPath(String namespace) {
    return "../" + BACKUP_DIR + "/" + OWN_DIR + "/hosts/" + namespace + "/hosts.toml";
  }

  boolean createdByUs(String relativeDir) {
    return created.contains(relativeDir);
  }

  Set<String> createdDirectories() {
    return Set.copyOf(created);
  }

  /** Namespaces that have a saved administrator file. */
  List<String> backedUpNamespaces() throws IOException {
    List<String> out = new ArrayList<>();
    if (Files.isDirectory(backupsDir())) {
      try (var entries = Files.list(backupsDir())) {
        entries.filter(p -> ManagedFiles.present(p.resolve("hosts.toml")))
            .forEach(p -> out.add(p.getFileName().toString()));
      }
    }
    return out;
  }

  /**
   * Creates {@code <certsDir>/<relativeDir>} (one level; the parent must exist) and records it,
   * record first, so that a crash in between leaves at most a note about a missing directory.
   */
  void createDirectory(String relativeDir) throws IOException {
    ensureOwnDir();
    if (created.add(relativeDir)) {
      save();
    }
    ManagedFiles.createDirectory(certsDir.resolve(relativeDir));
  }

  void forget(String relativeDir) throws IOException {
    if (created.remove(relativeDir)) {
      save();
    }
  }

  /**
   * Makes sure {@code _backup/registry-cache} exists, recording the directories this creates
   * (the certs dir itself and {@code _backup}) once the state file can be written.
   */
  void ensureOwnDir() throws IOException {
    if (Files.isDirectory(ownDir())) {
      return;
    }
    List<String> made = new ArrayList<>();
    if (!Files.isDirectory(certsDir)) {
      if (certsDir.getParent() == null || !Files.isDirectory(certsDir.getParent())) {
        throw new IOException("cannot create " + certsDir + ": its parent directory does not exist"
            + " (is the runtime installed and the host's /etc mounted?)");
      }
      ManagedFiles.createDirectory(certsDir);
      made.add(CERTS_DIR_ITSELF);
    }
    Path backup = certsDir.resolve(BACKUP_DIR);
    if (!Files.isDirectory(backup)) {
      ManagedFiles.createDirectory(backup);
      made.add(BACKUP_DIR);
    }
    ManagedFiles.createDirectory(ownDir());
    if (created.addAll(made)) {
      save();
    }
  }

  /**
   * Removes our own bookkeeping once nothing of ours is left, and then the directories we created
   * for it ({@code _backup}, the certs dir) if they are empty.
   */
  void removeIfUnused() throws IOException {
    Path own = ownDir();
    if (!Files.isDirectory(own)) {
      return;
    }
    ManagedFiles.deleteIfEmpty(backupsDir());
    boolean onlyBookkeeping = created.stream()
        .allMatch(d -> d.equals(CERTS_DIR_ITSELF) || d.equals(BACKUP_DIR));
    if (!onlyBookkeeping || Files.isDirectory(backupsDir())) {
      return;
    }
    ManagedFiles.delete(stateFile());
    ManagedFiles.deleteIfEmpty(own);
    if (created.contains(BACKUP_DIR)) {
      ManagedFiles.deleteIfEmpty(certsDir.resolve(BACKUP_DIR));
    }
    if (created.contains(CERTS_DIR_ITSELF)) {
      ManagedFiles.deleteIfEmpty(certsDir);
    }
    created.clear();
  }

  private void save() throws IOException {
    StringBuilder sb = new StringBuilder();
    sb.append(ManagedFiles.MARKER).append(" Directories registry-cache created below the containerd\n");
    sb.append("# certs directory (\".\" is the directory itself); each is removed again when it is empty.\n");
    for (String d : created) {
      sb.append(d).append('\n');
    }
    ManagedFiles.writeIfChanged(stateFile(), sb.toString());
  }
}
