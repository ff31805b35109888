package dev.registrycache.cache;

import dev.registrycache.store.ManifestStore.CachedManifest;

/**
 * A manifest to answer with, and how we got it: {@code hit} (fresh in the cache),
 * {@code revalidated} (stale, upstream confirmed it), {@code miss} (fetched now) or
 * {@code stale} (upstream failed, the last known one is served).
 */
public record ManifestResult(CachedManifest manifest, String source) {}
