package dev.registrycache.operator;

import dev.registrycache.config.CacheConfig;
import dev.registrycache.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;

/** The ConfigMap's config file as the cache reads it: written to {@code dir}, loaded by ConfigLoader. */
final class LoadedConfig {
  private LoadedConfig() {}

  static CacheConfig of(CacheConfigModel model, Path dir) throws Exception {
    return of(model, dir, System.getenv());
  }

  /** With this environment instead of the process's (what the pod's downward API sets). */
  static CacheConfig of(CacheConfigModel model, Path dir, java.util.Map<String, String> env) throws Exception {
    Path f = Files.createTempFile(dir, "config", ".yaml");
    Files.writeString(f, model.configYaml());
    return ConfigLoader.load(f, ConfigLoader.Overrides.none(), env);
  }
}
