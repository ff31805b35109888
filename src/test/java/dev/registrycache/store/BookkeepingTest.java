package dev.registrycache.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.oci.Digest;
import dev.registrycache.oci.MediaTypes;
import dev.registrycache.testing.Schema1Manifests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tags, media-type files and repository directories live as long as the manifests they
 * describe: eviction collects them, they count toward the size limit, and the catalog lists
 * only repositories that can still be served.
 */
class BookkeepingTest {
  private static final long BLOCK = BlobIndex.BLOCK;

  @TempDir
  Path root;

  private BlobIndex index;
  private ManifestStore manifests;
  private TagStore tags;
  private byte[] a;
  private byte[] b;
  private byte[] signed;
  private Digest digestA;
  private Digest digestB;
  private Digest payloadDigest;

  @BeforeEach
  void open() throws IOException {
    openStore();
    a = manifest("a");
    b = manifest("b");
    digestA = Digest.sha256Of(a);
    digestB = Digest.sha256Of(b);
    byte[] payload = Schema1Manifests.payload("old/app", "latest", Digest.sha256Of(new byte[] {7}).toString());
    signed = Schema1Manifests.signed(payload);
    payloadDigest = Digest.sha256Of(payload);
  }

  private void openStore() throws IOException {
    FileSystemBlobStore blobs = new FileSystemBlobStore(root);
    index = new BlobIndex(blobs);
    index.rebuild();
    manifests = new ManifestStore(root, blobs, index, 1 << 20);
    tags = new TagStore(root);
    Bookkeeping.open(index, manifests, tags);
  }

  private void storeAll() throws IOException {
    manifests.put(digestA, MediaTypes.OCI_MANIFEST, a);
    tag("docker.io", "library/a", "v1", digestA);
    tag("docker.io", "library/a", "v2", digestA);
    manifests.put(digestB, MediaTypes.OCI_MANIFEST, b);
    tag("docker.io", "library/b", "v1", digestB);
    manifests.put(payloadDigest, MediaTypes.DOCKER_SCHEMA1_SIGNED, signed);
    tag("quay.io", "old/app", "latest", payloadDigest);
  }

  @Test
  void tagsTypeFilesAndRepositoriesCountTowardTheStoreSize() throws IOException {
    storeAll();
    long blobs = a.length + b.length + signed.length;
    long expected = blobs + 3 * BLOCK /* type files */ + 4 * BLOCK /* tag files */
        + 3 * 3 * BLOCK /* three repositories of three directories */;
    assertEquals(expected, index.totalBytes());

    openStore(); // the same, counted from disk
    assertEquals(expected, index.totalBytes());
  }

  @Test
  void evictingAManifestCollectsItsTypeFileTagsAndRepository() throws IOException {
    storeAll();
    BlobIndex.Entry keep = index.use(digestB);
    keep.retain(); // being served: eviction skips it
    try {
      index.evict(0, () -> Long.MAX_VALUE, 0);
    } finally {
      keep.release();
    }

    assertFalse(manifests.contains(digestA));
    assertFalse(manifests.contains(payloadDigest), "a schema 1 manifest goes with its signed blob");
    assertTrue(manifests.contains(digestB));
    assertEquals(List.of(digestB.hex()), files("manifest-types"));
    assertEquals(List.of("docker.io/library/b/_manifests/tags/v1"), files("repositories"));
    assertEquals(List.of("docker.io/library/b"), tags.repositories());
    assertTrue(tags.get("docker.io", "library/a", "v1").isEmpty(), "no tag left pointing at nothing");
    assertEquals(b.length + BLOCK + BLOCK + 3 * BLOCK, index.totalBytes());
    try (Stream<Path> dirs = Files.walk(root.resolve("repositories"))) {
      assertEquals(List.of("", "docker.io", "docker.io/library", "docker.io/library/b",
          "docker.io/library/b/_manifests", "docker.io/library/b/_manifests/tags"),
          dirs.filter(Files::isDirectory).map(d -> relative("repositories", d)).sorted().toList(),
          "the directories of evicted repositories are gone");
    }
  }

  @Test
  void aTagThatMovedToAnotherManifestSurvivesTheEvictionOfTheOldOne() throws IOException {
    storeAll();
    tag("docker.io", "library/a", "v2", digestB); // v2 moved from a to b
    BlobIndex.Entry keep = index.use(digestB);
    keep.retain();
    try {
      index.evict(0, () -> Long.MAX_VALUE, 0);
    } finally {
      keep.release();
    }
    assertEquals(List.of("docker.io/library/a/_manifests/tags/v2", "docker.io/library/b/_manifests/tags/v1"),
        files("repositories"));
    assertEquals(List.of("docker.io/library/a", "docker.io/library/b"), tags.repositories());
  }

  @Test
  void openingAStoreCollectsWhatDescribesContentNoLongerThere() throws IOException {
    storeAll();
    // left by a version that did not collect: a manifest blob deleted, an empty repository
    Files.delete(index.peek(digestA).blob().path());
    Files.createDirectories(root.resolve("repositories/docker.io/library/digest-only/_manifests"));

    openStore();
    assertFalse(manifests.contains(digestA));
    assertEquals(List.of(digestB.hex(), payloadDigest.hex()).stream().sorted().toList(), files("manifest-types"));
    assertEquals(List.of("docker.io/library/b/_manifests/tags/v1", "quay.io/old/app/_manifests/tags/latest"),
        files("repositories"));
    assertEquals(List.of("docker.io/library/b", "quay.io/old/app"), tags.repositories());
    assertFalse(Files.exists(root.resolve("repositories/docker.io/library/digest-only")));
    assertFalse(Files.exists(root.resolve("repositories/docker.io/library/a")));
  }

  private void tag(String registry, String repository, String tag, Digest d) throws IOException {
    tags.put(registry, repository, tag, new TagEntry(d, MediaTypes.OCI_MANIFEST, 1, 1));
  }

  private static byte[] manifest(String salt) {
    return ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{},"
        + "\"layers\":[],\"annotations\":{\"salt\":\"" + salt + "\"}}").getBytes(StandardCharsets.UTF_8);
  }

  /** Regular files under {@code ROOT/dir}, relative to it (type files: just their name), sorted. */
  private List<String> files(String dir) throws IOException {
    try (Stream<Path> s = Files.walk(root.resolve(dir))) {
      return s.filter(Files::isRegularFile)
          .map(p -> dir.equals("manifest-types") ? p.getFileName().toString() : relative(dir, p))
          .sorted().toList();
    }
  }

  private String relative(String dir, Path p) {
    return root.resolve(dir).relativize(p).toString().replace('\\', '/');
  }
}
