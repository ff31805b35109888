package dev.registrycache.store;

import java.io.IOException;

/**
 * Ties the files that describe content (tags, manifest media types, repository directories)
 * to the blobs they describe: read back from disk at start (dropping what describes content
 * no longer stored), counted toward the size the index keeps under its limit, and deleted
 * when eviction takes their content.
 */
public final class Bookkeeping {
  private Bookkeeping() {}

  /**
   * Call once, after {@link BlobIndex#rebuild()}.
   *
   * @return what was found, for the start-up log
   */
  public static String open(BlobIndex index, ManifestStore manifests, TagStore tags) throws IOException {
    int manifestCount = manifests.rebuild();
    int tagCount = tags.rebuild(manifests::contains);
    index.countAlso(manifests::bookkeepingBytes);
    index.countAlso(tags::bookkeepingBytes);
    index.onEviction(blob -> tags.manifestsGone(manifests.blobEvicted(blob)));
    return manifestCount + " manifests, " + tagCount + " tags";
  }
}
