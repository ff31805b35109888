package dev.registrycache.node;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.registrycache.files.AtomicFiles;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Writes one containers-registries.conf(5) v2 drop-in ({@value #FILE_NAME}) for CRI-O, podman,
 * skopeo and buildah: a {@code [[registry]]} per mirrored registry with the cache as
 * {@code [[registry.mirror]]} at {@code <cache>/<registry>} (path prefix, because these clients
 * send no other hint of the original registry) and {@code insecure = true} for plain HTTP.
 *
 * <p>Drop-ins are read in file-name order and an entry with the same {@code prefix} in a later
 * file replaces an earlier one (and every drop-in replaces {@code registries.conf}); other files are
 * never changed, conflicts are reported as warnings. When we had to create the drop-in directory
 * the file says so, and {@link #restore()} removes the directory again once it is empty.
 */
public final class CrioRegistriesWriter {
  public static final String FILE_NAME = "50-registry-cache.conf";
  static final String CREATED_DIR_NOTE = "# registry-cache created this directory and removes it again when it is empty.";

  private final Path confDir;

  public CrioRegistriesWriter(Path registriesConfDir) {
    this.confDir = registriesConfDir;
  }

  public Path file() {
    return confDir.resolve(FILE_NAME);
  }

  public ConfigChanges apply(NodeMirrorPlan plan) throws IOException {
    if (plan.registries().isEmpty()) {
      return restore();
    }
    ConfigChanges changes = new ConfigChanges();
    Path file = file();
    if (ManagedFiles.present(file) && !ManagedFiles.isManaged(file)) {
      changes.warn("not writing " + file + ": a file that registry-cache did not write is there");
      return changes;
    }
    boolean createdDir = ManagedFiles.isManaged(file) && Files.readAllLines(file, UTF_8).contains(CREATED_DIR_NOTE);
    if (!Files.isDirectory(confDir)) {
      if (confDir.getParent() == null || !Files.isDirectory(confDir.getParent())) {
        throw new IOException("cannot create " + confDir + ": its parent directory does not exist"
            + " (are CRI-O or the containers tools installed and the host's /etc mounted?)");
      }
      ManagedFiles.createDirectory(confDir);
      createdDir = true;
      changes.did("created " + confDir);
    }
    Set<String> names = new TreeSet<>(plan.registries().stream().map(NodeMirrorPlan.MirroredRegistry::name).toList());
    if (ManagedFiles.writeTomlIfChanged(file, render(plan, createdDir), parsed -> {
      if (!prefixesIn(parsed).equals(names)) {
        throw new IllegalStateException("registry-cache would write " + file + " for " + prefixesIn(parsed)
            + " instead of " + names + "; nothing was written");
      }
    })) {
      changes.did("wrote " + file);
    }
    reportConflicts(plan, changes);
    return changes;
  }

  public ConfigChanges restore() throws IOException {
    ConfigChanges changes = new ConfigChanges();
    Path file = file();
    AtomicFiles.removeStaleTemporaries(confDir, FILE_NAME);
    if (!ManagedFiles.present(file)) {
      return changes;
    }
    if (!ManagedFiles.isManaged(file)) {
      changes.warn("left " + file + " alone: registry-cache did not write it");
      return changes;
    }
    boolean createdDir = Files.readAllLines(file, UTF_8).contains(CREATED_DIR_NOTE);
    ManagedFiles.delete(file);
    changes.did("removed " + file);
    if (createdDir) {
      if (ManagedFiles.deleteIfEmpty(confDir)) {
        changes.did("removed " + confDir);
      } else {
        changes.warn("kept " + confDir + ": it now holds other files");
      }
    }
    return changes;
  }

  static String render(NodeMirrorPlan plan, boolean createdDir) {
    StringBuilder sb = new StringBuilder();
    sb.append(ManagedFiles.MARKER).append(" Do not edit: this file is rewritten by registry-cache\n");
    sb.append("# and removed again when it stops. Pulls from the registries below try the\n");
    sb.append("# node-local cache at ").append(plan.cacheEndpoint()).append(" first, then their own location.\n");
    if (createdDir) {
      sb.append(CREATED_DIR_NOTE).append('\n');
    }
    for (NodeMirrorPlan.MirroredRegistry r : plan.registries()) {
      sb.append('\n');
      sb.append("[[registry]]\n");
      sb.append("prefix = ").append(TomlWriter.quote(r.name())).append('\n');
      if (r.upstreamServer() == null) {
        sb.append("location = ").append(TomlWriter.quote(r.name())).append('\n');
      } else {
        URI u = URI.create(r.upstreamServer());
        String path = u.getRawPath() == null ? "" : u.getRawPath().replaceAll("/+$", "");
        sb.append("location = ").append(TomlWriter.quote(u.getRawAuthority() + path)).append('\n');
        if ("http".equals(u.getScheme())) {
          sb.append("insecure = true\n");
        }
      }
      sb.append('\n');
      sb.append("[[registry.mirror]]\n");
      sb.append("location = ").append(TomlWriter.quote(plan.cacheEndpoint() + "/" + r.name())).append('\n');
      sb.append("insecure = true\n");
    }
    return sb.toString();
  }

  /** Prefixes of every {@code [[registry]]} entry of a registries.conf (prefix defaults to location). */
  static Set<String> prefixesIn(ObjectNode doc) {
    Set<String> out = new TreeSet<>();
    JsonNode entries = doc.path("registry");
    if (entries.isArray()) {
      for (JsonNode r : entries) {
        JsonNode p = r.path("prefix").isTextual() ? r.path("prefix") : r.path("location");
        if (p.isTextual()) {
          out.add(p.asText());
        }
      }
    }
    return out;
  }

  private void reportConflicts(NodeMirrorPlan plan, ConfigChanges changes) throws IOException {
    List<Path> others = new ArrayList<>();
    String dirName = confDir.getFileName().toString();
    if (dirName.endsWith(".d")) {
      others.add(confDir.resolveSibling(dirName.substring(0, dirName.length() - 2)));
    }
    try (Stream<Path> s = Files.list(confDir)) {
      s.filter(p -> p.getFileName().toString().endsWith(".conf") && !p.getFileName().toString().equals(FILE_NAME))
          .sorted().forEach(others::add);
    }
    for (Path other : others) {
      if (!Files.isRegularFile(other)) {
        continue;
      }
      Set<String> theirs;
      try {
        theirs = prefixesIn(Toml.read(other));
      } catch (Toml.InvalidTomlException e) {
        changes.warn(e.getMessage() + "; CRI-O, podman and skopeo refuse to load their registry configuration"
            + " while it is there");
        continue;
      } catch (MalformedInputException e) {
        continue;
      }
      boolean later = other.getParent().equals(confDir) && other.getFileName().toString().compareTo(FILE_NAME) > 0;
      for (NodeMirrorPlan.MirroredRegistry r : plan.registries()) {
        if (theirs.contains(r.name())) {
          changes.warn(later
              ? other + " also configures " + r.name() + " and is read after " + FILE_NAME
                  + ", so its entry wins: " + r.name() + " pulls do not use the cache"
              : FILE_NAME + " replaces the " + r.name() + " entry of " + other + " while registry-cache runs");
        }
      }
    }
  }
}
