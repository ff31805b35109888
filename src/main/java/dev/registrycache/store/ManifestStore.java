package dev.registrycache.store;

import dev.registrycache.oci.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Manifests by digest: the bytes are a blob in the {@link BlobStore} (exactly as upstream
 * published them), the media type sits beside them in {@code ROOT/manifest-types/ALG/HEX}.
 * Recently used manifests are also kept in memory (bounded by total bytes).
 */
public final class ManifestStore {
  /** Manifests larger than this are refused (the spec suggests registries accept 4 MiB). */
  public static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

  private final BlobStore blobs;
  private final BlobIndex index;
  private final Path types;
  private final long memoryBudget;
  private long memoryUsed;
  private final LinkedHashMap<Digest, CachedManifest> memory = new LinkedHashMap<>(64, 0.75f, true);

  /** A manifest's exact bytes and its media type. */
  public record CachedManifest(Digest digest, String mediaType, byte[] bytes) {}

  public ManifestStore(Path storageRoot, BlobStore blobs, BlobIndex index, long memoryBudget)
      throws IOException {
    this.blobs = blobs;
    this.index = index;
    this.types = storageRoot.resolve("manifest-types");
    this.memoryBudget = memoryBudget;
    Files.createDirectories(types);
  }

  private Path typeFile(Digest d) {
    return types.resolve(d.algorithm()).resolve(d.hex());
  }

  /** From memory, else from disk; empty when not cached (or evicted). */
  public Optional<CachedManifest> get(Digest digest) throws IOException {
    synchronized (memory) {
      CachedManifest m = memory.get(digest);
      if (m != null) {
        index.use(digest);
        return Optional.of(m);
      }
    }
    BlobIndex.Entry e = index.use(digest);
    if (e == null || e.size() > MAX_MANIFEST_BYTES) {
      return Optional.empty();
    }
    byte[] bytes;
    String type;
    try {
      bytes = Files.readAllBytes(e.blob().path());
      type = Files.readString(typeFile(digest), StandardCharsets.UTF_8).trim();
    } catch (NoSuchFileException ex) {
      return Optional.empty();
    }
    CachedManifest m = new CachedManifest(digest, type, bytes);
    remember(m);
    return Optional.of(m);
  }

  /**
   * Stores a manifest after checking that its bytes hash to {@code digest}.
   *
   * @throws DigestMismatchException when they do not
   */
  public CachedManifest put(Digest digest, String mediaType, byte[] bytes) throws IOException {
    AtomicFiles.write(typeFile(digest), (mediaType + "\n").getBytes(StandardCharsets.UTF_8));
    if (index.peek(digest) == null) {
      try (BlobWriter w = blobs.create(digest)) {
        w.write(ByteBuffer.wrap(bytes));
        index.add(w.commit());
      }
    }
    CachedManifest m = new CachedManifest(digest, mediaType, bytes);
    remember(m);
    return m;
  }

  private void remember(CachedManifest m) {
    synchronized (memory) {
      if (memory.put(m.digest(), m) == null) {
        memoryUsed += m.bytes().length;
      }
      var it = memory.entrySet().iterator();
      while (memoryUsed > memoryBudget && it.hasNext()) {
        Map.Entry<Digest, CachedManifest> oldest = it.next();
        memoryUsed -= oldest.getValue().bytes().length;
        it.remove();
      }
    }
  }
}
