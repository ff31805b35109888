package dev.registrycache.api.v1alpha1;

/** The grammar of sizes and durations in the spec: the same the cache's config file takes. */
final class Durations {
  /** 500ms, 30s, 5m, 2h, 1d. */
  static final String PATTERN = "^[0-9]+(ms|s|m|h|d)$";
  /** 1024, 512KiB, 20GiB, 1GB, 5G. */
  static final String SIZE_PATTERN = "^[0-9]+(\\.[0-9]+)?([KMGT]i?B?)?$";

  private Durations() {}
}
