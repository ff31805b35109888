package dev.registrycache.config;

import java.util.List;

/**
 * The YAML/JSON config file as written by a user: every field optional, values as text
 * ({@code 20GiB}, {@code 5m}). {@link ConfigLoader} layers it over the embedded defaults.
 */
public record ConfigFile(
    String listen,
    String adminListen,
    Storage storage,
    Tags tags,
    Timeouts timeouts,
    Boolean accessLog,
    String defaultRegistry,
    List<RegistryConfig> registries,
    UpstreamProxy upstreamProxy,
    Clients clients,
    Peers peers) {

  /**
   * The peer endpoint: its port on {@code address} (default: the environment's
   * {@code REGISTRY_CACHE_POD_IP}), and where the other caches are listed.
   */
  public record Peers(Integer port, String address, String service, String namespace, String file,
      String tokenFile, String previousTokenFile, String connectTimeout) {}

  /** Where cached content lives and how much of the disk it may use. */
  public record Storage(String path, String maxSize, String minFreeSpace, String verifyRate, String verifyInterval) {}

  /** How long a tag's digest is trusted before it is revalidated upstream. */
  public record Tags(String ttl, String negativeTtl) {}

  /** What client connections are granted (see {@link ClientLimits}). */
  public record Clients(String headerTimeout, String sendTimeout, Integer maxConnections) {}

  /**
   * Upstream timeouts: TCP connect, until the response headers, between two reads, and the
   * slowest average a blob download may keep up over a window.
   */
  public record Timeouts(String connect, String response, String idle, String minSpeed, String minSpeedTime) {}
}
