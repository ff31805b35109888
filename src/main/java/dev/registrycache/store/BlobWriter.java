package dev.registrycache.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Writes one blob to a temp file, hashing as it goes. {@link #commit()} verifies the digest,
 * syncs and atomically renames the file into place; {@link #abort()} deletes it. Either way
 * no partial or corrupt blob is ever visible under its digest.
 */
public interface BlobWriter extends AutoCloseable {
  /** The temp file, readable by others while it grows. */
  Path tempPath();

  void write(ByteBuffer buffer) throws IOException;

  long written();

  /** True when the bytes written so far hash to the expected digest. */
  boolean digestMatches();

  /** Flushes the written bytes to disk (slow; keep it off event loops and out of locks). */
  void sync() throws IOException;

  /**
   * Verifies, syncs and renames into place.
   *
   * @throws DigestMismatchException when the content does not hash to the digest (the temp
   *     file is deleted)
   */
  StoredBlob commit() throws IOException;

  /** Deletes the temp file; harmless after commit. */
  void abort();

  @Override
  default void close() {
    abort();
  }
}
