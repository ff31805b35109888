package dev.registrycache.cli;

import dev.registrycache.config.CacheConfig;
import dev.registrycache.config.ConfigLoader;
import dev.registrycache.server.CacheApplication;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code registry-cache cache}: runs the pull-through cache until SIGTERM/SIGINT. */
@Command(name = "cache", mixinStandardHelpOptions = true,
    description = "Run the pull-through cache (embedded default config unless --config is given). "
        + "Every option can also be set by the environment variable shown.")
public final class CacheCommand implements Callable<Integer> {
  @Option(names = "--config", description = "YAML/JSON config file (env: REGISTRY_CACHE_CONFIG)",
      defaultValue = "${env:REGISTRY_CACHE_CONFIG}")
  Path config;

  @Option(names = "--listen", description = "HOST:PORT for clients (env: REGISTRY_CACHE_LISTEN; default 127.0.0.1:5000)",
      defaultValue = "${env:REGISTRY_CACHE_LISTEN}")
  String listen;

  @Option(names = "--admin-listen", description = "HOST:PORT for metrics and health (env: REGISTRY_CACHE_ADMIN_LISTEN; default 127.0.0.1:5001)",
      defaultValue = "${env:REGISTRY_CACHE_ADMIN_LISTEN}")
  String adminListen;

  @Option(names = "--storage", description = "storage directory (env: REGISTRY_CACHE_STORAGE)",
      defaultValue = "${env:REGISTRY_CACHE_STORAGE}")
  String storage;

  @Option(names = "--max-size", description = "maximum store size, e.g. 50GiB (env: REGISTRY_CACHE_MAX_SIZE)",
      defaultValue = "${env:REGISTRY_CACHE_MAX_SIZE}")
  String maxSize;

  @Option(names = "--access-log", negatable = true, description = "one log line per request (env: REGISTRY_CACHE_ACCESS_LOG)",
      defaultValue = "${env:REGISTRY_CACHE_ACCESS_LOG}")
  Boolean accessLog;

  @Option(names = "--registry", paramLabel = "NAME=URL",
      description = "mirror NAME from upstream URL (repeatable; replaces the URL of a configured registry)")
  List<String> registries = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    CacheConfig cfg;
    try {
      cfg = ConfigLoader.load(config, new ConfigLoader.Overrides(listen, adminListen, storage, maxSize,
          accessLog, registries));
    } catch (IllegalArgumentException e) {
      System.err.println("registry-cache: invalid configuration: " + e.getMessage());
      return 2;
    }
    CacheApplication app = CacheApplication.start(cfg);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      app.close();
      stopped.countDown();
    }, "shutdown"));
    stopped.await();
    return 0;
  }
}
