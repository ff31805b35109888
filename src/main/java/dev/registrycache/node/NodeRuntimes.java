package dev.registrycache.node;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What {@link RuntimeDetector} found on a node.
 *
 * @param found runtimes whose configuration is present on the node
 * @param reported the runtime the Node object reports ({@code status.nodeInfo.containerRuntimeVersion}), if given
 * @param reportedVersion its version ({@code 1.7.2}), empty when unknown
 * @param distribution which containerd setup: a standalone one, or the one embedded in k3s or RKE2
 * @param containerdCertsDir where containerd reads hosts.toml files from (as this process sees it);
 *     empty when containerd would not read them, see {@link #problems()}
 * @param registriesConfDir the containers-registries.conf drop-in directory for CRI-O/podman/skopeo;
 *     empty when neither CRI-O nor the containers tools are configured on the node
 * @param problems why the node (or part of it) cannot be sent through the cache, one sentence each
 * @param notes things worth logging that do not block anything
 */
public record NodeRuntimes(Set<Runtime> found, Optional<Runtime> reported, String reportedVersion,
    Distribution distribution, Optional<Path> containerdCertsDir, Optional<Path> registriesConfDir,
    List<String> problems, List<String> notes) {

  public enum Runtime { CONTAINERD, CRIO, DOCKER }

  public enum Distribution { STANDALONE, K3S, RKE2 }

  public NodeRuntimes {
    found = Set.copyOf(found);
    problems = List.copyOf(problems);
    notes = List.copyOf(notes);
  }

  /** True when at least one runtime can be pointed at the cache and nothing stands in the way. */
  public boolean configurable() {
    return problems.isEmpty() && (containerdCertsDir.isPresent() || registriesConfDir.isPresent());
  }

  /** {@code base} with the runtime directories found here (and {@code null} for runtimes not usable). */
  public NodeMirrorPlan.Options applyTo(NodeMirrorPlan.Options base) {
    return base.withContainerdCertsDir(containerdCertsDir.orElse(null))
        .withRegistriesConfDir(registriesConfDir.orElse(null));
  }

  /** One line for logs and Kubernetes events. */
  public String summary() {
    StringBuilder sb = new StringBuilder("runtimes found: ").append(found.isEmpty() ? "none" : found);
    reported.ifPresent(r -> sb.append(", node reports ").append(r).append(' ').append(reportedVersion));
    if (distribution != Distribution.STANDALONE) {
      sb.append(", ").append(distribution);
    }
    if (!problems.isEmpty()) {
      sb.append("; cannot configure: ").append(String.join("; ", problems));
    }
    return sb.toString();
  }
}
