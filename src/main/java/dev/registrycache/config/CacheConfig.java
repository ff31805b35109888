package dev.registrycache.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The cache's effective configuration, after the embedded defaults, the config file, the
 * environment and the command line have been merged (see {@link ConfigLoader}).
 */
public record CacheConfig(
    HostPort listen,
    HostPort adminListen,
    Path storagePath,
    long maxSizeBytes,
    long minFreeBytes,
    Duration tagTtl,
    Duration negativeTtl,
    Duration connectTimeout,
    Duration responseTimeout,
    Duration idleTimeout,
    boolean accessLog,
    String defaultRegistry,
    List<RegistryConfig> registries,
    UpstreamProxy upstreamProxy,
    ClientLimits clients,
    MinSpeed minSpeed,
    StorageScan scan,
    PeersConfig peers) {

  public CacheConfig(HostPort listen, HostPort adminListen, Path storagePath, long maxSizeBytes, long minFreeBytes,
      Duration tagTtl, Duration negativeTtl, Duration connectTimeout, Duration responseTimeout, Duration idleTimeout,
      boolean accessLog, String defaultRegistry, List<RegistryConfig> registries) {
    this(listen, adminListen, storagePath, maxSizeBytes, minFreeBytes, tagTtl, negativeTtl, connectTimeout,
        responseTimeout, idleTimeout, accessLog, defaultRegistry, registries, UpstreamProxy.NONE, ClientLimits.DEFAULT,
        MinSpeed.DEFAULT, StorageScan.DEFAULT, null);
  }

  public RegistryConfig registry(String name) {
    for (RegistryConfig r : registries) {
      if (r.name().equals(name)) {
        return r;
      }
    }
    return null;
  }

  public String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append("listen=").append(listen).append(" admin=").append(adminListen)
        .append(" storage=").append(storagePath)
        .append(" maxSize=").append(Sizes.format(maxSizeBytes))
        .append(" minFree=").append(Sizes.format(minFreeBytes))
        .append(" verify=").append(scan.enabled() ? scan.bytesPerSecond() + "B/s every "
            + (scan.interval().isZero() ? "start" : scan.interval().toHours() + "h") : "on first use")
        .append(" tagTtl=").append(tagTtl.toSeconds()).append("s")
        .append(" timeouts(connect/response/idle)=").append(connectTimeout.toMillis()).append('/')
        .append(responseTimeout.toMillis()).append('/').append(idleTimeout.toMillis()).append("ms")
        .append(" minSpeed=").append(minSpeed.enabled()
            ? minSpeed.bytesPerSecond() + "B/s over " + minSpeed.window().toMillis() + "ms" : "off")
        .append(" defaultRegistry=").append(defaultRegistry)
        .append(" clients(headerTimeout/sendTimeout/max)=").append(clients.headerTimeout().toMillis()).append("ms/")
        .append(clients.sendTimeout().toMillis()).append("ms/").append(clients.maxConnections());
    if (peers != null) {
      sb.append(' ').append(peers.describe());
    }
    if (upstreamProxy != null && !upstreamProxy.isNone()) {
      sb.append(" upstreamProxy=").append(upstreamProxy);
    }
    return sb.toString();
  }
}
