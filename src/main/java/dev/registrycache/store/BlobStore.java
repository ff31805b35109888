package dev.registrycache.store;

import dev.registrycache.oci.Digest;
import java.io.IOException;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Content-addressed storage of blobs (layers, configs and manifests alike). A blob becomes
 * visible only after its digest was verified; every implementation passes
 * {@code BlobStoreContractTest}.
 */
public interface BlobStore {
  /** The blob, if stored. */
  Optional<StoredBlob> find(Digest digest) throws IOException;

  /** Starts writing a blob: bytes go to a private temp file until {@link BlobWriter#commit()}. */
  BlobWriter create(Digest digest) throws IOException;

  /** Removes a blob; false when it was not there. */
  boolean delete(Digest digest) throws IOException;

  /** Visits every stored blob (for rebuilding the index at start-up). */
  void forEach(Consumer<StoredBlob> visitor) throws IOException;

  /** The size of the file system the blobs are on, and how much of it is usable. */
  DiskUsage diskUsage() throws IOException;
}
