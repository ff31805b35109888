package dev.registrycache.node;

import com.fasterxml.jackson.databind.JsonNode;
import dev.registrycache.node.NodeRuntimes.Distribution;
import dev.registrycache.node.NodeRuntimes.Runtime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Finds out which container runtimes a node has and whether registry-cache can point them at
 * itself, from the files under a host-root prefix (the node's {@code /} mounted into the pod, e.g.
 * at {@code /host}) and, when known, the Node's {@code containerRuntimeVersion}
 * ({@code containerd://1.7.2}, {@code cri-o://1.28.1}, {@code docker://24.0.7}).
 *
 * <p>It never throws for a misconfigured node: everything that stands in the way is a sentence in
 * {@link NodeRuntimes#problems()}.
 */
public final class RuntimeDetector {
  static final String CONTAINERD_CONFIG = "/etc/containerd/config.toml";
  static final String K3S_CONFIG = "/var/lib/rancher/k3s/agent/etc/containerd/config.toml";
  static final String K3S_REGISTRIES = "/etc/rancher/k3s/registries.yaml";
  static final String RKE2_CONFIG = "/var/lib/rancher/rke2/agent/etc/containerd/config.toml";
  static final String RKE2_REGISTRIES = "/etc/rancher/rke2/registries.yaml";

  private final Path hostRoot;
  private final ContainerdConfigInspector containerd;

  public RuntimeDetector(Path hostRoot) {
    this.hostRoot = hostRoot;
    this.containerd = new ContainerdConfigInspector(hostRoot);
  }

  /** Detection from files only. */
  public NodeRuntimes detect() {
    return detect(null);
  }

  /** @param containerRuntimeVersion the Node's {@code status.nodeInfo.containerRuntimeVersion}, or {@code null} */
  public NodeRuntimes detect(String containerRuntimeVersion) {
    List<String> problems = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    Optional<Runtime> reported = Optional.empty();
    String version = "";
    if (containerRuntimeVersion != null && !containerRuntimeVersion.isBlank()) {
      String v = containerRuntimeVersion.strip();
      int sep = v.indexOf("://");
      String scheme = sep < 0 ? v : v.substring(0, sep);
      version = sep < 0 ? "" : v.substring(sep + 3);
      reported = switch (scheme) {
        case "containerd" -> Optional.of(Runtime.CONTAINERD);
        case "cri-o" -> Optional.of(Runtime.CRIO);
        case "docker" -> Optional.of(Runtime.DOCKER);
        default -> Optional.empty();
      };
      if (reported.isEmpty()) {
        problems.add("the node runs container runtime '" + v + "', which registry-cache cannot configure");
      }
    }

    Distribution distribution = Distribution.STANDALONE;
    String containerdConfig = null;
    if (exists(K3S_CONFIG) || exists("/etc/rancher/k3s")) {
      distribution = Distribution.K3S;
      containerdConfig = K3S_CONFIG;
    } else if (exists(RKE2_CONFIG) || exists("/etc/rancher/rke2")) {
      distribution = Distribution.RKE2;
      containerdConfig = RKE2_CONFIG;
    } else if (exists(CONTAINERD_CONFIG) || exists("/etc/containerd")) {
      containerdConfig = CONTAINERD_CONFIG;
    }
    boolean crio = exists("/etc/crio");
    boolean containersTools = exists("/etc/containers");
    boolean docker = exists("/etc/docker/daemon.json");
    if (containerdConfig == null && reported.equals(Optional.of(Runtime.CONTAINERD))) {
      containerdConfig = CONTAINERD_CONFIG;
    }

    Set<Runtime> found = EnumSet.noneOf(Runtime.class);
    Optional<Path> certsDir = Optional.empty();
    if (containerdConfig != null) {
      found.add(Runtime.CONTAINERD);
      String cv = reported.equals(Optional.of(Runtime.CONTAINERD)) && !version.isEmpty() ? version : null;
      ContainerdConfigInspector.Inspection in = containerd.inspect(containerdConfig, cv);
      certsDir = in.certsDir();
      List<String> target = blocking(reported, Runtime.CONTAINERD) ? problems : notes;
      String prefix = prefix(distribution);
      in.problems().forEach(p -> target.add(prefix + p));
      in.notes().forEach(n -> notes.add(prefix + n));
      if (distribution != Distribution.STANDALONE) {
        distributionNotes(distribution, notes);
      }
    }

    Optional<Path> registriesDir = Optional.empty();
    if (crio || reported.equals(Optional.of(Runtime.CRIO))) {
      found.add(Runtime.CRIO);
      if (!containersTools) {
        List<String> target = blocking(reported, Runtime.CRIO) ? problems : notes;
        target.add("CRI-O: /etc/containers does not exist, so there is no registries.conf.d to write into");
      } else {
        notes.add(crioReloadNote());
      }
    }
    if (containersTools) {
      registriesDir = Optional.of(onHost("/etc/containers/registries.conf.d"));
    }
    if (docker || reported.equals(Optional.of(Runtime.DOCKER))) {
      found.add(Runtime.DOCKER);
      String text = "Docker Engine: registry-cache does not write /etc/docker/daemon.json; to send Docker Hub pulls"
          + " through the cache add \"registry-mirrors\" there and restart dockerd (see docs/runtime-docker.md)";
      (reported.equals(Optional.of(Runtime.DOCKER)) ? problems : notes).add(text);
    }

    if (found.isEmpty() && !containersTools) {
      problems.add("no container runtime configuration under " + hostRoot + " (looked for " + CONTAINERD_CONFIG
          + ", " + K3S_CONFIG + ", " + RKE2_CONFIG + ", /etc/crio, /etc/containers, /etc/docker/daemon.json);"
          + " is the node's root file system mounted at " + hostRoot + "?");
    }
    return new NodeRuntimes(found, reported, version, distribution, certsDir, registriesDir, problems, notes);
  }

  /** A runtime's problems block the node only when it is the one kubelet uses (or that is unknown). */
  private static boolean blocking(Optional<Runtime> reported, Runtime runtime) {
    return reported.isEmpty() || reported.get() == runtime;
  }

  private static String prefix(Distribution d) {
    return switch (d) {
      case STANDALONE -> "containerd: ";
      case K3S -> "k3s containerd: ";
      case RKE2 -> "RKE2 containerd: ";
    };
  }

  private void distributionNotes(Distribution d, List<String> notes) {
    String name = d == Distribution.K3S ? "k3s" : "RKE2";
    String registries = d == Distribution.K3S ? K3S_REGISTRIES : RKE2_REGISTRIES;
    notes.add(name + " regenerates its containerd certs.d from " + registries + " each time it starts: directories"
        + " of registries listed there are replaced (older releases clear the whole directory), so registry-cache"
        + " writes its files again on its next start; for a permanent setting list the cache in " + registries);
    if (exists(registries)) {
      notes.add(name + ": " + registries + " exists; registries listed there are configured by " + name
          + " and may replace registry-cache's hosts.toml when " + name + " restarts");
    }
  }

  private String crioReloadNote() {
    if (crioAutoReloads()) {
      return "CRI-O: auto_reload_registries = true, so CRI-O picks up registry changes by itself";
    }
    return "CRI-O: it reads registry changes on SIGHUP or restart; enable the CRI-O reload option (needs hostPID)"
        + " or it uses the cache only after its next restart";
  }

  /** True when CRI-O is set up on this node ({@code /etc/crio} holds its configuration). */
  public boolean crioRuns() {
    return exists("/etc/crio/crio.conf") || exists("/etc/crio/crio.conf.d");
  }

  /** True when CRI-O re-reads its registries by itself ({@code auto_reload_registries = true}). */
  public boolean crioAutoReloads() {
    List<Path> files = new ArrayList<>();
    files.add(onHost("/etc/crio/crio.conf"));
    Path dropIns = onHost("/etc/crio/crio.conf.d");
    if (Files.isDirectory(dropIns)) {
      try (Stream<Path> s = Files.list(dropIns)) {
        s.filter(p -> p.getFileName().toString().endsWith(".conf")).sorted().forEach(files::add);
      } catch (IOException e) {
        return false;
      }
    }
    Boolean value = null;
    for (Path f : files) {
      try {
        if (Files.isRegularFile(f)) {
          JsonNode v = Toml.at(Toml.read(f), "crio", "image", "auto_reload_registries");
          if (v.isBoolean()) {
            value = v.asBoolean();
          }
        }
      } catch (IOException e) {
        // unreadable or not TOML: it does not tell us anything (CRI-O reports it itself)
      }
    }
    return Boolean.TRUE.equals(value);
  }

  private boolean exists(String hostPath) {
    return Files.exists(onHost(hostPath));
  }

  private Path onHost(String hostPath) {
    return containerd.onHost(hostPath);
  }
}
