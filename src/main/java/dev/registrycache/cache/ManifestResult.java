package dev.registrycache.cache;

import dev.registrycache.store.ManifestStore.CachedManifest;

/**
 * A manifest to answer with, and how we got it: {@code hit} (fresh in the cache),
 * {@code revalidated} (stale, upstream confirmed it), {@code miss} (fetched now) or
 * {@code stale} (upstream failed, the last known one is served); for a tag, when upstream last
 * confirmed it points at this manifest (a peer that asked for it trusts it from then on, not
 * from when it got it).
 */
public record ManifestResult(CachedManifest manifest, String source, long checkedAtMillis) {
  /** Not known when upstream last confirmed it (a manifest by digest needs no confirming). */
  public static final long UNCHECKED = -1;

  public ManifestResult(CachedManifest manifest, String source) {
    this(manifest, source, UNCHECKED);
  }
}
