package dev.registrycache.server;

import dev.registrycache.cache.BlobService;
import dev.registrycache.cache.ManifestService;
import dev.registrycache.cache.PrivateAccess;
import dev.registrycache.config.CacheConfig;
import dev.registrycache.config.RegistryConfig;
import dev.registrycache.metrics.CacheMetrics;
import dev.registrycache.oci.DistributionPathParser;
import dev.registrycache.store.ContentVerifier;
import dev.registrycache.store.TagStore;
import dev.registrycache.upstream.UpstreamClient;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Everything a connection handler needs, shared by all connections. {@code disk} runs the
 * blocking file work of requests (opening, reading small files) so that no event loop waits for
 * a disk; {@code background} the rest of the work off the event loops.
 */
record CacheContext(
    CacheConfig config,
    Map<String, RegistryConfig> registries,
    DistributionPathParser parser,
    BlobService blobs,
    ManifestService manifests,
    PrivateAccess privacy,
    TagStore tags,
    UpstreamClient upstream,
    CacheMetrics metrics,
    AccessLog accessLog,
    HotContent hot,
    OpenBlobFiles files,
    ContentVerifier verifier,
    Executor background,
    Executor disk) {

  /**
   * Starts upstream work off the event loop: starting an exchange may read a registry's
   * password file. Rejected (thrown) when the disk executor's queue is full.
   */
  <T> CompletableFuture<T> upstreamOffLoop(Supplier<CompletableFuture<T>> start) {
    return CompletableFuture.supplyAsync(start, disk).thenCompose(f -> f);
  }

  /** Whether some registry serves private content to the clients upstream accepts (so pings challenge). */
  boolean verifiesCallers() {
    for (RegistryConfig r : registries.values()) {
      if (r.verifiesCallers()) {
        return true;
      }
    }
    return false;
  }

  static Map<String, RegistryConfig> byName(CacheConfig config) {
    return config.registries().stream()
        .collect(Collectors.toUnmodifiableMap(RegistryConfig::name, r -> r));
  }
}
