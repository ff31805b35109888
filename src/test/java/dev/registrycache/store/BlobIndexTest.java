package dev.registrycache.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.oci.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlobIndexTest {
  @TempDir
  Path root;

  private static StoredBlob put(BlobStore s, BlobIndex idx, byte[] content) throws IOException {
    try (BlobWriter w = s.create(Digest.sha256Of(content))) {
      w.write(ByteBuffer.wrap(content));
      StoredBlob b = w.commit();
      idx.add(b);
      return b;
    }
  }

  private static byte[] blob(int size, int seed) {
    byte[] b = new byte[size];
    b[0] = (byte) seed;
    b[size - 1] = (byte) (seed >> 8);
    return b;
  }

  @Test
  void evictsLeastRecentlyUsedUntilWithinLimit() throws Exception {
    FileSystemBlobStore s = new FileSystemBlobStore(root);
    BlobIndex idx = new BlobIndex(s);
    StoredBlob a = put(s, idx, blob(1000, 1));
    Thread.sleep(5);
    StoredBlob b = put(s, idx, blob(1000, 2));
    Thread.sleep(5);
    StoredBlob c = put(s, idx, blob(1000, 3));
    Thread.sleep(5);
    idx.use(a.digest()); // a is now the most recent
    assertEquals(3000, idx.totalBytes());

    List<Digest> evicted = idx.evict(2000, () -> Long.MAX_VALUE, 0);
    assertEquals(List.of(b.digest()), evicted);
    assertEquals(2000, idx.totalBytes());
    assertFalse(Files.exists(b.path()));
    assertTrue(Files.exists(a.path()));
    assertTrue(Files.exists(c.path()));
    assertEquals(1, idx.evictions());
  }

  @Test
  void neverEvictsABlobBeingRead() throws Exception {
    FileSystemBlobStore s = new FileSystemBlobStore(root);
    BlobIndex idx = new BlobIndex(s);
    StoredBlob a = put(s, idx, blob(1000, 1));
    Thread.sleep(5);
    StoredBlob b = put(s, idx, blob(1000, 2));
    idx.use(a.digest()).retain();
    idx.use(b.digest()); // b more recent, but a is being read
    List<Digest> evicted = idx.evict(1000, () -> Long.MAX_VALUE, 0);
    assertEquals(List.of(b.digest()), evicted);
    assertNotNull(idx.peek(a.digest()));
    idx.peek(a.digest()).release();
    assertEquals(List.of(a.digest()), idx.evict(0, () -> Long.MAX_VALUE, 0));
  }

  @Test
  void evictsForFreeDiskReserve() throws Exception {
    FileSystemBlobStore s = new FileSystemBlobStore(root);
    BlobIndex idx = new BlobIndex(s);
    put(s, idx, blob(1000, 1));
    Thread.sleep(5);
    StoredBlob newer = put(s, idx, blob(1000, 2));
    // the disk reports 500 bytes free, 1200 are wanted: one eviction frees enough
    List<Digest> evicted = idx.evict(Long.MAX_VALUE, () -> 500, 1200);
    assertEquals(1, evicted.size());
    assertNotNull(idx.peek(newer.digest()));
  }

  @Test
  void rebuildFromDiskUsesModificationTimesAsLastUse() throws Exception {
    FileSystemBlobStore s = new FileSystemBlobStore(root);
    BlobIndex idx = new BlobIndex(s);
    StoredBlob old = put(s, idx, blob(100, 1));
    StoredBlob recent = put(s, idx, blob(100, 2));
    Files.setLastModifiedTime(old.path(), FileTime.fromMillis(1_000_000));
    Files.setLastModifiedTime(recent.path(), FileTime.fromMillis(2_000_000));

    BlobIndex restarted = new BlobIndex(new FileSystemBlobStore(root));
    assertEquals(2, restarted.rebuild());
    assertEquals(200, restarted.totalBytes());
    assertEquals(List.of(old.digest()), restarted.evict(100, () -> Long.MAX_VALUE, 0));
  }

  @Test
  void persistLastUseWritesBackOnlyOldEnoughTimes() throws Exception {
    FileSystemBlobStore s = new FileSystemBlobStore(root);
    BlobIndex idx = new BlobIndex(s);
    StoredBlob b = put(s, idx, blob(100, 1));
    Files.setLastModifiedTime(b.path(), FileTime.fromMillis(1_000_000));
    BlobIndex restarted = new BlobIndex(new FileSystemBlobStore(root));
    restarted.rebuild();
    restarted.use(b.digest());
    restarted.persistLastUse();
    assertTrue(Files.getLastModifiedTime(b.path()).toMillis() > 1_000_000);
  }

  @Test
  void forget() throws IOException {
    FileSystemBlobStore s = new FileSystemBlobStore(root);
    BlobIndex idx = new BlobIndex(s);
    StoredBlob b = put(s, idx, blob(10, 1));
    idx.forget(b.digest());
    assertNull(idx.peek(b.digest()));
    assertEquals(0, idx.totalBytes());
  }
}
