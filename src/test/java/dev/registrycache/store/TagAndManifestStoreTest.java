package dev.registrycache.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.oci.Digest;
import dev.registrycache.oci.MediaTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TagAndManifestStoreTest {
  @TempDir
  Path root;

  @Test
  void tagsSurviveRestartAndListCatalog() throws IOException {
    TagStore t = new TagStore(root);
    Digest d = Digest.sha256Of(new byte[] {1});
    t.put("docker.io", "library/nginx", "1.27", new TagEntry(d, MediaTypes.OCI_INDEX, 123, 42));
    t.put("quay.io", "prometheus/node-exporter", "v1", new TagEntry(d, MediaTypes.OCI_INDEX, 123, 42));

    TagStore again = new TagStore(root);
    assertEquals(2, again.rebuild(d::equals));
    assertEquals(new TagEntry(d, MediaTypes.OCI_INDEX, 123, 42),
        again.get("docker.io", "library/nginx", "1.27").orElseThrow());
    assertTrue(again.get("docker.io", "library/nginx", "latest").isEmpty());
    assertEquals(List.of("1.27"), again.tags("docker.io", "library/nginx"));
    assertEquals(List.of("docker.io/library/nginx", "quay.io/prometheus/node-exporter"), again.repositories());
  }

  @Test
  void corruptTagFileIsForgotten() throws IOException {
    TagStore t = new TagStore(root);
    Path f = root.resolve("repositories/docker.io/library/a/_manifests/tags/v1");
    Files.createDirectories(f.getParent());
    Files.writeString(f, "garbage");
    assertTrue(t.get("docker.io", "library/a", "v1").isEmpty());
    assertTrue(Files.notExists(f));
  }

  @Test
  void manifestsKeepExactBytesAndMediaType() throws IOException {
    FileSystemBlobStore blobs = new FileSystemBlobStore(root);
    BlobIndex idx = new BlobIndex(blobs);
    ManifestStore m = new ManifestStore(root, blobs, idx, 1024);
    byte[] body = "{ \"schemaVersion\" : 2,\n  \"odd\":  \"spacing\" }".getBytes(StandardCharsets.UTF_8);
    Digest d = Digest.sha256Of(body);
    m.put(d, MediaTypes.DOCKER_MANIFEST, body);

    // a new process: index rebuilt from disk, nothing in memory
    BlobIndex idx2 = new BlobIndex(new FileSystemBlobStore(root));
    idx2.rebuild();
    ManifestStore m2 = new ManifestStore(root, blobs, idx2, 1024);
    assertEquals(1, m2.rebuild());
    ManifestStore.CachedManifest got = m2.get(d).orElseThrow();
    assertArrayEquals(body, got.bytes());
    assertEquals(MediaTypes.DOCKER_MANIFEST, got.mediaType());
  }

  @Test
  void wrongManifestBytesAreRefused() throws IOException {
    FileSystemBlobStore blobs = new FileSystemBlobStore(root);
    ManifestStore m = new ManifestStore(root, blobs, new BlobIndex(blobs), 1024);
    Digest d = Digest.sha256Of(new byte[] {1});
    assertThrows(DigestMismatchException.class, () -> m.put(d, MediaTypes.OCI_MANIFEST, new byte[] {2}));
    assertTrue(m.get(d).isEmpty());
  }
}
