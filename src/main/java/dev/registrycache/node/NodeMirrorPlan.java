package dev.registrycache.node;

import java.net.URI;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the node's container runtimes should be told: which registries go through the local
 * cache at {@code cacheEndpoint} ({@code host:port}), and where the runtime configuration lives.
 *
 * <p>Paths are as this process sees them (for a pod, usually below a host-root mount such as
 * {@code /host/etc/containerd/certs.d}).
 */
public record NodeMirrorPlan(String cacheEndpoint, List<MirroredRegistry> registries, Options options) {
  private static final Pattern ENDPOINT = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}");

  public NodeMirrorPlan {
    Objects.requireNonNull(cacheEndpoint, "cacheEndpoint");
    if (!ENDPOINT.matcher(cacheEndpoint).matches()) {
      throw new IllegalArgumentException("cache endpoint must be host:port, got '" + cacheEndpoint + "'");
    }
    registries = List.copyOf(registries);
    Set<String> seen = new HashSet<>();
    for (MirroredRegistry r : registries) {
      if (!seen.add(r.name())) {
        throw new IllegalArgumentException("registry listed twice: " + r.name());
      }
    }
    Objects.requireNonNull(options, "options");
  }

  /** Plain-HTTP URL of the cache as containerd should dial it, e.g. {@code http://127.0.0.1:5000}. */
  public String cacheUrl() {
    return "http://" + cacheEndpoint;
  }

  /**
   * One mirrored registry. {@code name} is the registry host as it appears in image references
   * ({@code docker.io}, {@code quay.io}, {@code registry.example.com:5000}). {@code upstreamServer},
   * when set, replaces the registry's real address as the fallback (an {@code http://} or
   * {@code https://} URL); leave it {@code null} for the registry's own address.
   */
  public record MirroredRegistry(String name, String upstreamServer) {
    private static final Pattern NAME =
        Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?");

    public MirroredRegistry {
      Objects.requireNonNull(name, "name");
      if (!NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("not a registry host name: '" + name + "'");
      }
      if (upstreamServer != null) {
        URI uri;
        try {
          uri = URI.create(upstreamServer);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("upstream server of " + name + " is not a URL: " + upstreamServer, e);
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
            || uri.getRawQuery() != null || uri.getRawFragment() != null) {
          throw new IllegalArgumentException(
              "upstream server of " + name + " must be an http:// or https:// URL, got " + upstreamServer);
        }
      }
    }

    public static MirroredRegistry of(String name) {
      return new MirroredRegistry(name, null);
    }

    /** The fallback containerd uses: the given upstream, else the registry's own HTTPS address. */
    public String containerdServer() {
      if (upstreamServer != null) {
        return upstreamServer;
      }
      return "https://" + ("docker.io".equals(name) ? "registry-1.docker.io" : name);
    }
  }

  /**
   * Where and how to write.
   *
   * @param containerdCertsDir containerd's hosts directory ({@code config_path}); {@code null} skips containerd
   * @param registriesConfDir containers-registries.conf drop-in directory; {@code null} skips CRI-O/podman
   * @param defaultEntry also write {@code _default/hosts.toml} so every other registry goes through the cache
   * @param keepExistingHosts keep an existing admin {@code hosts.toml}'s hosts after the cache host
   * @param dialTimeout containerd {@code dial_timeout} for the cache host (Go duration such as {@code 500ms});
   *     {@code null} or empty leaves it out
   * @param reloadCrio send SIGHUP to CRI-O after its drop-in changed (needs the host PID namespace)
   */
  public record Options(Path containerdCertsDir, Path registriesConfDir, boolean defaultEntry,
      boolean keepExistingHosts, String dialTimeout, boolean reloadCrio) {
    public static final String DEFAULT_DIAL_TIMEOUT = "500ms";
    private static final Pattern GO_DURATION = Pattern.compile("([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+");

    public Options {
      if (dialTimeout != null && !dialTimeout.isEmpty() && !GO_DURATION.matcher(dialTimeout).matches()) {
        throw new IllegalArgumentException("dial timeout must be a duration such as 500ms or 1s, got " + dialTimeout);
      }
    }

    /** Host paths for a process that sees the node's root at {@code hostRoot} (use {@code /} on the node). */
    public static Options defaults(Path hostRoot) {
      return new Options(hostRoot.resolve("etc/containerd/certs.d"), hostRoot.resolve("etc/containers/registries.conf.d"),
          false, true, DEFAULT_DIAL_TIMEOUT, false);
    }

    public Options withContainerdCertsDir(Path dir) {
      return new Options(dir, registriesConfDir, defaultEntry, keepExistingHosts, dialTimeout, reloadCrio);
    }

    public Options withRegistriesConfDir(Path dir) {
      return new Options(containerdCertsDir, dir, defaultEntry, keepExistingHosts, dialTimeout, reloadCrio);
    }

    public Options withDefaultEntry(boolean on) {
      return new Options(containerdCertsDir, registriesConfDir, on, keepExistingHosts, dialTimeout, reloadCrio);
    }

    public Options withKeepExistingHosts(boolean on) {
      return new Options(containerdCertsDir, registriesConfDir, defaultEntry, on, dialTimeout, reloadCrio);
    }

    public Options withDialTimeout(String timeout) {
      return new Options(containerdCertsDir, registriesConfDir, defaultEntry, keepExistingHosts, timeout, reloadCrio);
    }

    public Options withReloadCrio(boolean on) {
      return new Options(containerdCertsDir, registriesConfDir, defaultEntry, keepExistingHosts, dialTimeout, on);
    }
  }
}
