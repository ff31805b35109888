package dev.registrycache.server;

import dev.registrycache.cache.BlobService;
import dev.registrycache.cache.ManifestService;
import dev.registrycache.config.CacheConfig;
import dev.registrycache.config.RegistryConfig;
import dev.registrycache.metrics.CacheMetrics;
import dev.registrycache.oci.DistributionPathParser;
import dev.registrycache.store.TagStore;
import dev.registrycache.upstream.UpstreamClient;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;

/** Everything a connection handler needs, shared by all connections. */
record CacheContext(
    CacheConfig config,
    Map<String, RegistryConfig> registries,
    DistributionPathParser parser,
    BlobService blobs,
    ManifestService manifests,
    TagStore tags,
    UpstreamClient upstream,
    CacheMetrics metrics,
    AccessLog accessLog,
    HotContent hot,
    Executor background) {

  static Map<String, RegistryConfig> byName(CacheConfig config) {
    return config.registries().stream()
        .collect(Collectors.toUnmodifiableMap(RegistryConfig::name, r -> r));
  }
}
