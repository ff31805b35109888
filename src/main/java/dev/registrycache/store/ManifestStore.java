package dev.registrycache.store;

import dev.registrycache.files.AtomicFiles;
import dev.registrycache.oci.Digest;
import dev.registrycache.oci.ManifestDocument;
import dev.registrycache.oci.MediaTypes;
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
 * A signed schema 1 manifest's digest covers its payload without the signatures, so its bytes
 * are a blob under their own hash and the type file names that blob on a second line.
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

  /** From memory only (touches no disk); null when not there. */
  public CachedManifest peek(Digest digest) {
    synchronized (memory) {
      CachedManifest m = memory.get(digest);
      if (m != null) {
        index.use(digest);
      }
      return m;
    }
  }

  /** From memory, else from disk; empty when not cached (or evicted). */
  public Optional<CachedManifest> get(Digest digest) throws IOException {
    CachedManifest cached = peek(digest);
    if (cached != null) {
      return Optional.of(cached);
    }
    String[] typeAndBlob;
    try {
      typeAndBlob = Files.readString(typeFile(digest), StandardCharsets.UTF_8).strip().split("\n");
    } catch (NoSuchFileException ex) {
      return Optional.empty();
    }
    String type = typeAndBlob[0].strip();
    Digest blob;
    try {
      blob = typeAndBlob.length > 1 ? Digest.parse(typeAndBlob[1].strip()) : digest;
    } catch (IllegalArgumentException ex) {
      return Optional.empty();
    }
    BlobIndex.Entry e = index.use(blob);
    if (e == null || e.size() > MAX_MANIFEST_BYTES || !MediaTypes.isValid(type)) {
      return Optional.empty();
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(e.blob().path());
    } catch (NoSuchFileException ex) {
      return Optional.empty();
    }
    CachedManifest m = new CachedManifest(digest, type, bytes);
    remember(m);
    return Optional.of(m);
  }

  /**
   * Stores a manifest after checking that {@code digest} is its digest: the hash of its bytes
   * or, for a signed schema 1 manifest, of its payload without the signatures.
   *
   * @throws DigestMismatchException when it is not
   */
  public CachedManifest put(Digest digest, String mediaType, byte[] bytes) throws IOException {
    if (!MediaTypes.isValid(mediaType)) {
      throw new IllegalArgumentException("invalid media type: " + mediaType);
    }
    Digest blob = Digest.of(digest.algorithm(), bytes);
    if (!blob.equals(digest) && MediaTypes.isSchema1(mediaType)) {
      Digest payload = Digest.of(digest.algorithm(), ManifestDocument.parse(bytes).digestedBytes());
      if (!payload.equals(digest)) {
        throw new DigestMismatchException("schema 1 manifest payload hashes to " + payload + ", not " + digest);
      }
    } else {
      blob = digest; // the blob writer verifies the bytes against it
    }
    String typeLine = mediaType + "\n" + (blob.equals(digest) ? "" : blob + "\n");
    AtomicFiles.write(typeFile(digest), typeLine.getBytes(StandardCharsets.UTF_8));
    if (index.peek(blob) == null) {
      try (BlobWriter w = blobs.create(blob)) {
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
