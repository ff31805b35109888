package dev.registrycache.it;

import dev.registrycache.oci.Digest;
import dev.registrycache.store.BlobStore;
import dev.registrycache.store.BlobWriter;
import dev.registrycache.store.DiskUsage;
import dev.registrycache.store.StoredBlob;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;

/**
 * A store whose writes a test can break the way a disk does: every write then fails with the
 * error the kernel gives for a read-only file system (or whatever {@link #breakWith} says),
 * until {@link #heal}. It can also claim a file system of another size than the real one.
 */
class BreakableStore extends ForwardingBlobStore {
  private volatile IOException failure;
  private volatile DiskUsage claimed;

  BreakableStore(BlobStore delegate) {
    super(delegate);
  }

  /** From now on every write fails as on a read-only file system. */
  void breakReadOnly() {
    breakWith(new FileSystemException("storage", null, "Read-only file system"));
  }

  void breakWith(IOException e) {
    failure = e;
  }

  void heal() {
    failure = null;
  }

  /** Claims a file system of {@code total} bytes, {@code usable} of them usable. */
  void claimDisk(long total, long usable) {
    claimed = new DiskUsage(total, usable);
  }

  private void check() throws IOException {
    IOException e = failure;
    if (e != null) {
      throw e;
    }
  }

  @Override
  public BlobWriter create(Digest d) throws IOException {
    check();
    return new ForwardingBlobWriter(super.create(d)) {
      @Override
      public void write(ByteBuffer buffer) throws IOException {
        check();
        super.write(buffer);
      }

      @Override
      public StoredBlob commit() throws IOException {
        IOException e = failure;
        if (e != null) {
          abort();
          throw e;
        }
        return super.commit();
      }
    };
  }

  @Override
  public boolean delete(Digest d) throws IOException {
    check();
    return super.delete(d);
  }

  @Override
  public DiskUsage diskUsage() throws IOException {
    DiskUsage c = claimed;
    return c != null ? c : super.diskUsage();
  }
}
