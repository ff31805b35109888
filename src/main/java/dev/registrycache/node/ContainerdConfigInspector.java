package dev.registrycache.node;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
    Map<List<String>, String> kv;
    try {
      kv = readWithImports(file, notes);
    } catch (IOException e) {
      problems.add("cannot read " + configFile + ": " + e.getMessage());
      return new Inspection(Optional.empty(), problems, notes);
    }
    int configVersion = parseInt(kv.get(List.of("version"))).orElse(1);
    String plugin = configVersion >= 3 ? IMAGES_V2 : configVersion == 2 ? CRI_V1 : "cri";
    String table = "[plugins.\"" + plugin + "\".registry]";
    List<String> registry = List.of("plugins", plugin, "registry");
    String configPath = TomlLines.string(kv.get(append(registry, "config_path"))).orElse("").strip();
    boolean mirrors = kv.keySet().stream().anyMatch(k -> startsWith(k, append(registry, "mirrors")));
    if (configVersion < 2 && kv.containsKey(List.of("plugins", CRI_V1, "registry", "config_path"))) {
      problems.add(configFile + " has no 'version = 2' line, so containerd reads it as a version 1 config and"
          + " ignores [plugins.\"" + CRI_V1 + "\".registry] config_path; add 'version = 2' at the top and"
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
      checkTransferService(kv, configPath, configVersion, version, problems, notes);
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
  private void checkTransferService(Map<List<String>, String> kv, String configPath, int configVersion, String version,
      List<String> problems, List<String> notes) {
    List<String> images = List.of("plugins", IMAGES_V2);
    boolean localPull = TomlLines.bool(kv.get(append(images, "use_local_image_pull"))).orElse(false)
        || TomlLines.bool(kv.get(append(images, "discard_unpacked_layers"))).orElse(false)
        || !TomlLines.bool(kv.get(append(images, "disable_snapshot_annotations"))).orElse(true)
        || TomlLines.bool(kv.get(append(images, "image_pull_with_sync_fs"))).orElse(false)
        || parseInt(kv.get(append(images, "max_concurrent_downloads"))).map(n -> n != 3).orElse(false);
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

  private Map<List<String>, String> readWithImports(Path file, List<String> notes) throws IOException {
    Map<List<String>, String> kv = new LinkedHashMap<>(TomlLines.keyValues(Files.readString(file, UTF_8)));
    for (String pattern : TomlLines.strings(kv.get(List.of("imports")))) {
      for (Path imported : expand(pattern)) {
        try {
          kv.putAll(TomlLines.keyValues(Files.readString(imported, UTF_8)));
        } catch (IOException e) {
          notes.add("cannot read imported containerd config " + imported + ": " + e.getMessage());
        }
      }
    }
    return kv;
  }

  /** An import pattern (a host path, '*' allowed in the file name) as files below the host root. */
  private List<Path> expand(String pattern) throws IOException {
    Path p = onHost(pattern);
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
