package dev.registrycache.store;

import dev.registrycache.oci.Digest;

/**
 * What a tag pointed to the last time upstream was asked.
 *
 * @param checkedAtMillis when upstream last confirmed it (drives the TTL)
 */
public record TagEntry(Digest digest, String mediaType, long size, long checkedAtMillis) {
  public TagEntry withCheckedAt(long millis) {
    return new TagEntry(digest, mediaType, size, millis);
  }
}
