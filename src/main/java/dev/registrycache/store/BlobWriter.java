package dev.registrycache.store;

import dev.registrycache.oci.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * Writes one blob to a temp file, hashing as it goes. {@link #commit()} verifies the digest,
 * syncs and atomically renames the file into place; {@link #abort()} deletes it. Either way
 * no partial or corrupt blob is ever visible under its digest.
 */
public interface BlobWriter extends AutoCloseable {
  /** The temp file, readable by others while it grows; null for {@link #unstored}. */
  Path tempPath();

  /**
   * Writes and hashes the buffer. When the file takes only part of it (the disk is full), the
   * bytes written are hashed, the buffer's position says how far it got, and the exception is
   * thrown: the rest may still be {@link #hashOnly hashed}.
   */
  void write(ByteBuffer buffer) throws IOException;

  /**
   * Hashes bytes of the blob without writing them (the file could not take them): {@link
   * #digestMatches} still tells whether the whole content is right, {@link #commit} refuses.
   */
  void hashOnly(ByteBuffer buffer);

  /** Bytes in the file. */
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

  /** A writer with no file: it only hashes, to check a blob that is passed on without being stored. */
  static BlobWriter unstored(Digest digest) {
    MessageDigest md = digest.newMessageDigest();
    return new BlobWriter() {
      @Override
      public Path tempPath() {
        return null;
      }

      @Override
      public void write(ByteBuffer buffer) {
        hashOnly(buffer);
      }

      @Override
      public void hashOnly(ByteBuffer buffer) {
        md.update(buffer);
      }

      @Override
      public long written() {
        return 0;
      }

      @Override
      public boolean digestMatches() {
        try {
          return digest.matches((MessageDigest) md.clone());
        } catch (CloneNotSupportedException e) {
          throw new IllegalStateException(e);
        }
      }

      @Override
      public void sync() {
        // nothing written
      }

      @Override
      public StoredBlob commit() throws IOException {
        throw new IOException(digest + " was not written to the store");
      }

      @Override
      public void abort() {
        // nothing to delete
      }
    };
  }
}
