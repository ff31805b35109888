package dev.registrycache.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.oci.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What every {@link BlobStore} must do. Implementations extend this class and provide a fresh,
 * empty store.
 */
abstract class BlobStoreContractTest {
  protected abstract BlobStore newStore() throws IOException;

  static final byte[] CONTENT = "hello, registry".getBytes(StandardCharsets.UTF_8);
  static final Digest DIGEST = Digest.sha256Of(CONTENT);

  @Test
  void writtenBlobIsInvisibleUntilCommitted() throws IOException {
    BlobStore s = newStore();
    try (BlobWriter w = s.create(DIGEST)) {
      w.write(ByteBuffer.wrap(CONTENT, 0, 5));
      assertTrue(s.find(DIGEST).isEmpty());
      w.write(ByteBuffer.wrap(CONTENT, 5, CONTENT.length - 5));
      assertEquals(CONTENT.length, w.written());
      assertTrue(w.digestMatches());
      assertTrue(s.find(DIGEST).isEmpty());
      StoredBlob b = w.commit();
      assertEquals(CONTENT.length, b.size());
    }
    StoredBlob found = s.find(DIGEST).orElseThrow();
    assertArrayEquals(CONTENT, Files.readAllBytes(found.path()));
  }

  @Test
  void readableWhileGrowing() throws IOException {
    BlobStore s = newStore();
    try (BlobWriter w = s.create(DIGEST)) {
      w.write(ByteBuffer.wrap(CONTENT, 0, 4));
      assertArrayEquals("hell".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(w.tempPath()));
    }
  }

  @Test
  void mismatchIsNeverStored() throws IOException {
    BlobStore s = newStore();
    BlobWriter w = s.create(DIGEST);
    w.write(ByteBuffer.wrap("something else".getBytes(StandardCharsets.UTF_8)));
    assertFalse(w.digestMatches());
    assertThrows(DigestMismatchException.class, w::commit);
    assertTrue(s.find(DIGEST).isEmpty());
    assertFalse(Files.exists(w.tempPath()));
  }

  @Test
  void abortLeavesNothing() throws IOException {
    BlobStore s = newStore();
    BlobWriter w = s.create(DIGEST);
    w.write(ByteBuffer.wrap(CONTENT));
    w.abort();
    assertFalse(Files.exists(w.tempPath()));
    assertTrue(s.find(DIGEST).isEmpty());
  }

  @Test
  void twoWritersOfTheSameBlobBothSucceed() throws IOException {
    BlobStore s = newStore();
    BlobWriter a = s.create(DIGEST);
    BlobWriter b = s.create(DIGEST);
    a.write(ByteBuffer.wrap(CONTENT));
    b.write(ByteBuffer.wrap(CONTENT));
    a.commit();
    b.commit();
    assertArrayEquals(CONTENT, Files.readAllBytes(s.find(DIGEST).orElseThrow().path()));
  }

  @Test
  void deleteAndList() throws IOException {
    BlobStore s = newStore();
    byte[] other = "other".getBytes(StandardCharsets.UTF_8);
    for (byte[] c : List.of(CONTENT, other)) {
      try (BlobWriter w = s.create(Digest.sha256Of(c))) {
        w.write(ByteBuffer.wrap(c));
        w.commit();
      }
    }
    List<Digest> seen = new ArrayList<>();
    s.forEach(b -> seen.add(b.digest()));
    assertEquals(2, seen.size());
    assertTrue(seen.contains(DIGEST));
    assertTrue(s.delete(DIGEST));
    assertFalse(s.delete(DIGEST));
    assertTrue(s.find(DIGEST).isEmpty());
    assertTrue(s.find(Digest.sha256Of(other)).isPresent());
  }
}
