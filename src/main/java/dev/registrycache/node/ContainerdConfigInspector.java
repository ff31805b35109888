package dev.registrycache.node;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a containerd {@code config.toml} (and the files it {@code imports}) far enough to tell
 * whether the CRI plugin reads {@code hosts.toml} files, and from which directory.
 */
final class ContainerdConfigInspector {
  static final String CRI_V1 = "io.containerd.grpc.v1.cri";
  static final String IMAGES_V2 = "io.containerd.cri.v1.images";

  /** Outcome for one config file; {@code certsDir} is set when hosts.toml files are read from it. */
  record Inspection(Optional<Path> certsDir, List<String> problems, List<String> notes) {}

  private final Path hostRoot;

  ContainerdConfigInspector(Path hostRoot) {
    this.hostRoot = hostRoot;
  }

  /**
   * @param configFile the config as a host path, e.g. {@code /etc/containerd/config.toml}
   * @param version containerd version from the node status ({@code 2.1.3}), or {@code null}
   */
  Inspection inspect(String configFile, String version) {
    List<String> problems = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    Path file = onHost(configFile);
    if (!Files.isRegularFile(file)) {
      problems.add(configFile + " does not exist, so containerd runs with its built-in defaults, where the CRI"
          + " plugin's config_path is empty (containerd 1.x) and hosts.toml files are not read; create it with"
          + " config_path set (see docs/runtime-containerd.md) and restart containerd");
      return new Inspection(Optional.empty(), problems, notes);
    }
    ObjectNode config;
    String mainConfigPath;
    try {
      ObjectNode main = Toml.parse(Files.readString(file, UTF_8), configFile);
      mainConfigPath = configPath(main);
      config = mergeImports(file, main, replacesPluginSections(version, configVersion(main)), notes);
    } catch (Toml.InvalidTomlException e) {
      problems.add(e.getMessage() + "; containerd does not start with it");
      return new Inspection(Optional.empty(), problems, notes);
    } catch (IOException e) {
      problems.add("cannot read " + configFile + ": " + e.getMessage());
      return new Inspection(Optional.empty(), problems, notes);
    }
    int configVersion = configVersion(config);
    String table = "[plugins.\"" + registryPlugin(configVersion) + "\".registry]";
    JsonNode registry = Toml.at(config, "plugins", registryPlugin(configVersion), "registry");
    String configPath = configPath(config);
    boolean mirrors = registry.path("mirrors").isObject() && !registry.path("mirrors").isEmpty();
    if (configVersion < 2 && !Toml.at(config, "plugins", CRI_V1, "registry", "config_path").isMissingNode()) {
      problems.add(configFile + " has no 'version = 2' line, so containerd reads it as a version 1 config and"
          + " ignores [plugins.\"" + CRI_V1 + "\".registry] config_path; add 'version = 2' at the top and"
          + " restart containerd");
      return new Inspection(Optional.empty(), problems, notes);
    }
    if (configPath.isEmpty() && !mainConfigPath.isEmpty()) {
      problems.add("config_path is set in " + table + " of " + configFile + ", but a file it imports has its own"
          + " [plugins.\"" + registryPlugin(configVersion) + "\"] section, which replaces the whole section in"
          + " containerd before 2.0, so config_path is not read; set config_path in that imported file too and"
          + " restart containerd");
      return new Inspection(Optional.empty(), problems, notes);
    }
    if (configPath.isEmpty()) {
      problems.add("config_path is not set in " + table + " of " + configFile + ", so containerd does not read"
          + " hosts.toml files; set config_path = \"/etc/containerd/certs.d\" there"
          + (mirrors ? " (after moving the deprecated registry.mirrors entries into hosts.toml files: containerd"
              + " refuses both together)" : "")
          + " and restart containerd");
      return new Inspection(Optional.empty(), problems, notes);
    }
    if (mirrors) {
      problems.add(configFile + " sets both config_path and the deprecated registry.mirrors in " + table
          + "; containerd refuses this combination and does not load its CRI plugin");
    }
    String[] dirs = configPath.split(":");
    Path certsDir = onHost(dirs[0]);
    if (dirs.length > 1) {
      notes.add("config_path lists several directories; registry-cache writes into the first, " + dirs[0]);
      checkTransferService(config, configPath, configVersion, version, problems, notes);
    }
    if (version != null && compareVersions(version, "2.1") < 0) {
      notes.add("containerd " + version + (compareVersions(version, "2.0") < 0 ? " ignores" : " may ignore")
          + " dial_timeout in hosts.toml (supported from 2.1 and in later 2.0 patch releases); a stopped cache is"
          + " still skipped at once (connection refused), only an unreachable address waits longer");
    }
    return new Inspection(problems.isEmpty() ? Optional.of(certsDir) : Optional.empty(), problems, notes);
  }

  /**
   * containerd 2.1 pulls Kubernetes images through its transfer service unless local pull is chosen
   * (explicitly, or implied by settings the transfer service does not support). In that mode a
   * config_path with several directories has been reported not to be read (containerd issue 12415).
   */
  private void checkTransferService(ObjectNode config, String configPath, int configVersion, String version,
      List<String> problems, List<String> notes) {
    JsonNode images = Toml.at(config, "plugins", IMAGES_V2);
    JsonNode downloads = images.path("max_concurrent_downloads");
    boolean localPull = images.path("use_local_image_pull").asBoolean(false)
        || images.path("discard_unpacked_layers").asBoolean(false)
        || !images.path("disable_snapshot_annotations").asBoolean(true)
        || images.path("image_pull_with_sync_fs").asBoolean(false)
        || downloads.isIntegralNumber() && downloads.asInt() != 3;
    if (localPull) {
      return;
    }
    String text = "containerd 2.1 and later pull Kubernetes images through the transfer service, which has been"
        + " reported to read config_path as a single directory, so \"" + configPath + "\" may not be read at all"
        + " (containerd issue 12415); set config_path to one directory, or use_local_image_pull = true under"
        + " [plugins.\"" + IMAGES_V2 + "\"], and restart containerd";
    if (version != null && compareVersions(version, "2.1") >= 0) {
      problems.add(text);
    } else if (version == null && configVersion >= 3) {
      notes.add(text);
    }
  }

  /** The config_path of the registry plugin that the document's config version reads, or "". */
  private static String configPath(ObjectNode config) {
    JsonNode p = Toml.at(config, "plugins", registryPlugin(configVersion(config)), "registry", "config_path");
    return p.isTextual() ? p.asText().strip() : "";
  }

  private static int configVersion(ObjectNode config) {
    JsonNode v = config.path("version");
    return v.isIntegralNumber() ? v.asInt() : 1;
  }

  private static String registryPlugin(int configVersion) {
    return configVersion >= 3 ? IMAGES_V2 : configVersion == 2 ? CRI_V1 : "cri";
  }

  /**
   * containerd before 2.0 lets an imported file's plugin section replace the whole section of
   * that plugin; 2.0 and later merge them key by key. Unknown version: judged by the config
   * version (3 is only read by containerd 2).
   */
  private static boolean replacesPluginSections(String version, int configVersion) {
    return version != null ? compareVersions(version, "2.0") < 0 : configVersion < 3;
  }

  /**
   * The config as containerd loads it: the main file, then its imports (and theirs) in order,
   * each merged over what came before; relative import paths are relative to the importing file.
   */
  private ObjectNode mergeImports(Path file, ObjectNode main, boolean replacePluginSections, List<String> notes)
      throws IOException {
    ObjectNode config = main.deepCopy();
    Set<Path> loaded = new HashSet<>(Set.of(file));
    ArrayDeque<Path> pending = new ArrayDeque<>(imports(file, main));
    while (!pending.isEmpty()) {
      Path imported = pending.removeFirst();
      if (!loaded.add(imported)) {
        continue;
      }
      ObjectNode other;
      try {
        other = Toml.read(imported);
      } catch (Toml.InvalidTomlException e) {
        throw e;
      } catch (IOException e) {
        notes.add("cannot read imported containerd config " + imported + ": " + e.getMessage());
        continue;
      }
      merge(config, other, replacePluginSections);
      pending.addAll(imports(imported, other));
    }
    return config;
  }

  private List<Path> imports(Path file, ObjectNode config) throws IOException {
    List<Path> out = new ArrayList<>();
    for (String pattern : Toml.strings(config.path("imports"))) {
      out.addAll(expand(pattern.startsWith("/") ? onHost(pattern) : file.resolveSibling(pattern)));
    }
    return out;
  }

  /** Values of {@code from} over {@code to}; tables are merged key by key, plugin sections maybe whole. */
  static void merge(ObjectNode to, ObjectNode from, boolean replacePluginSections) {
    from.fields().forEachRemaining(e -> {
      JsonNode mine = to.get(e.getKey());
      JsonNode theirs = e.getValue();
      if (replacePluginSections && e.getKey().equals("plugins") && mine instanceof ObjectNode m
          && theirs.isObject()) {
        m.setAll((ObjectNode) theirs);
      } else if (mine instanceof ObjectNode m && theirs instanceof ObjectNode t) {
        merge(m, t, false);
      } else {
        to.set(e.getKey(), theirs);
      }
    });
  }

  /** An import pattern ('*' and '?' allowed in the file name) as the files it names. */
  private static List<Path> expand(Path p) throws IOException {
    String name = p.getFileName() == null ? "" : p.getFileName().toString();
    if (!name.contains("*") && !name.contains("?")) {
      return Files.isRegularFile(p) ? List.of(p) : List.of();
    }
    List<Path> out = new ArrayList<>();
    if (Files.isDirectory(p.getParent())) {
      try (DirectoryStream<Path> s = Files.newDirectoryStream(p.getParent(), name)) {
        s.forEach(out::add);
      }
    }
    out.sort(null);
    return out;
  }

  Path onHost(String hostPath) {
    String rel = hostPath.replaceFirst("^/+", "");
    return rel.isEmpty() ? hostRoot : hostRoot.resolve(rel);
  }

  static int compareVersions(String a, String b) {
    String[] x = a.split("[.+-]");
    String[] y = b.split("[.+-]");
    for (int i = 0; i < Math.min(Math.max(x.length, y.length), 3); i++) {
      int xi = i < x.length ? parseInt(x[i]).orElse(0) : 0;
      int yi = i < y.length ? parseInt(y[i]).orElse(0) : 0;
      if (xi != yi) {
        return Integer.compare(xi, yi);
      }
    }
    return 0;
  }

  private static Optional<Integer> parseInt(String raw) {
    if (raw == null) {
      return Optional.empty();
    }
    String digits = raw.strip().replaceFirst("^v", "");
    try {
      return Optional.of(Integer.parseInt(digits));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static List<String> append(List<String> path, String key) {
    List<String> out = new ArrayList<>(path);
    out.add(key);
    return out;
  }

  private static boolean startsWith(List<String> key, List<String> prefix) {
    return key.size() >= prefix.size() && key.subList(0, prefix.size()).equals(prefix);
  }
}
