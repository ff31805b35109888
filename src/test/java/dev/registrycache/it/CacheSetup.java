package dev.registrycache.it;

import dev.registrycache.config.CacheConfig;
import dev.registrycache.config.ClientLimits;
import dev.registrycache.config.HostPort;
import dev.registrycache.config.MinSpeed;
import dev.registrycache.config.StorageScan;
import dev.registrycache.config.RegistryConfig;
import dev.registrycache.config.UpstreamProxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@link CacheConfig} of a cache under test: loopback, ephemeral ports, no access log,
 * short timeouts, and the registries the test names (the first one is the default registry
 * unless {@code docker.io} is among them).
 */
final class CacheSetup {
  private final Path storage;
  private final List<RegistryConfig> registries = new ArrayList<>();
  private long maxSizeBytes = 1L << 30;
  private long minFreeBytes = 0;
  private Duration tagTtl = Duration.ofMinutes(5);
  private Duration negativeTtl = Duration.ofSeconds(30);
  private Duration idleTimeout = Duration.ofSeconds(10);
  private Duration responseTimeout = Duration.ofSeconds(10);
  private Duration connectTimeout = Duration.ofSeconds(2);
  private UpstreamProxy proxy = UpstreamProxy.NONE;
  private ClientLimits clients = ClientLimits.DEFAULT;
  private MinSpeed minSpeed = MinSpeed.DEFAULT;
  private StorageScan scan = new StorageScan(0, Duration.ZERO);
  private dev.registrycache.config.PeersConfig peers;

  CacheSetup(Path storage) {
    this.storage = storage;
  }

  CacheSetup registry(String name, String url) {
    registries.add(RegistryConfig.of(name, url));
    return this;
  }

  CacheSetup registry(String name, String url, String user, String password) {
    registries.add(new RegistryConfig(name, url, user, password, null));
    return this;
  }

  CacheSetup registryWithPasswordFile(String name, String url, String user, Path passwordFile) {
    registries.add(new RegistryConfig(name, url, user, null, passwordFile.toString()));
    return this;
  }

  CacheSetup registryWithTagTtl(String name, String url, String tagTtl) {
    registries.add(new RegistryConfig(name, url, null, null, null, tagTtl));
    return this;
  }

  CacheSetup registry(RegistryConfig r) {
    registries.add(r);
    return this;
  }

  CacheSetup proxy(UpstreamProxy p) {
    this.proxy = p;
    return this;
  }

  CacheSetup clients(ClientLimits limits) {
    this.clients = limits;
    return this;
  }

  CacheSetup minSpeed(MinSpeed floor) {
    this.minSpeed = floor;
    return this;
  }

  /** The background check of stored blobs (off unless a test turns it on). */
  CacheSetup scan(StorageScan s) {
    this.scan = s;
    return this;
  }

  /** A peer endpoint and the peers it knows (off unless a test turns it on). */
  CacheSetup peers(dev.registrycache.config.PeersConfig p) {
    this.peers = p;
    return this;
  }

  CacheSetup maxSize(long bytes) {
    this.maxSizeBytes = bytes;
    return this;
  }

  CacheSetup minFreeSpace(long bytes) {
    this.minFreeBytes = bytes;
    return this;
  }

  CacheSetup tagTtl(Duration ttl) {
    this.tagTtl = ttl;
    return this;
  }

  CacheSetup negativeTtl(Duration ttl) {
    this.negativeTtl = ttl;
    return this;
  }

  CacheSetup idleTimeout(Duration idle) {
    this.idleTimeout = idle;
    return this;
  }

  CacheSetup responseTimeout(Duration response) {
    this.responseTimeout = response;
    return this;
  }

  CacheSetup connectTimeout(Duration connect) {
    this.connectTimeout = connect;
    return this;
  }

  Path storage() {
    return storage;
  }

  CacheConfig config() {
    HostPort loopback = new HostPort("127.0.0.1", 0);
    String defaultRegistry = registries.stream().anyMatch(r -> r.name().equals("docker.io"))
        ? "docker.io" : registries.get(0).name();
    return new CacheConfig(loopback, loopback, storage, maxSizeBytes, minFreeBytes, tagTtl,
        negativeTtl, connectTimeout, responseTimeout, idleTimeout, false,
        defaultRegistry, List.copyOf(registries), proxy, clients, minSpeed, scan, peers);
  }
}
