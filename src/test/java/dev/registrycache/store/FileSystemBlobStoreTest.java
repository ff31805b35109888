package dev.registrycache.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSystemBlobStoreTest extends BlobStoreContractTest {
  @TempDir
  Path root;
  private int n;

  @Override
  protected BlobStore newStore() throws IOException {
    return new FileSystemBlobStore(root.resolve("s" + n++));
  }

  @Test
  void layoutIsContentAddressed() throws IOException {
    FileSystemBlobStore s = new FileSystemBlobStore(root.resolve("layout"));
    Path p = s.pathOf(DIGEST);
    assertEquals(root.resolve("layout/blobs/sha256/" + DIGEST.hex().substring(0, 2) + "/" + DIGEST.hex()), p);
  }

  @Test
  void leftoverTempFilesAreRemovedAtStart() throws IOException {
    Path r = root.resolve("crash");
    new FileSystemBlobStore(r);
    Path leftover = r.resolve("tmp/abc-123");
    Files.writeString(leftover, "half a layer");
    new FileSystemBlobStore(r);
    assertFalse(Files.exists(leftover));
    assertTrue(Files.isDirectory(r.resolve("tmp")));
  }

  @Test
  void strayFilesAreIgnoredWhenListing() throws IOException {
    Path r = root.resolve("stray");
    FileSystemBlobStore s = new FileSystemBlobStore(r);
    Files.createDirectories(r.resolve("blobs/sha256/ab"));
    Files.writeString(r.resolve("blobs/sha256/ab/not-a-digest"), "x");
    int[] count = {0};
    s.forEach(b -> count[0]++);
    assertEquals(0, count[0]);
  }
}
