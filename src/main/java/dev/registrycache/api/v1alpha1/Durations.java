package dev.registrycache.api.v1alpha1;

/**
 * The grammar of durations in the spec: the same the cache's config file takes. Sizes have theirs
 * in {@link dev.registrycache.config.Sizes#SIZE_PATTERN}, next to the parser that shares it.
 */
final class Durations {
  /** 500ms, 30s, 5m, 2h, 1d. */
  static final String PATTERN = "^[0-9]+(ms|s|m|h|d)$";

  private Durations() {}
}
