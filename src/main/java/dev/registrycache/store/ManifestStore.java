package dev.registrycache.store;

import dev.registrycache.files.AtomicFiles;
import dev.registrycache.oci.Digest;
import dev.registrycache.oci.ManifestDocument;
import dev.registrycache.oci.MediaTypes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Manifests by digest: the bytes are a blob in the {@link BlobStore} (exactly as upstream
 * published them), the media type sits beside them in {@code ROOT/manifest-types/ALG/HEX}.
 * A signed schema 1 manifest's digest covers its payload without the signatures, so its bytes
 * are a blob under their own hash and the type file names that blob on a second line.
 * Recently used manifests are also kept in memory (bounded by total bytes).
 *
 * <p>A type file lives and dies with its blob: when the blob is evicted, {@link #blobEvicted}
 * deletes it, and each one counts as one {@link BlobIndex#BLOCK} toward the store's size.
 */
public final class ManifestStore {
  private static final Logger LOG = LoggerFactory.getLogger(ManifestStore.class);
  /** Manifests larger than this are refused (the spec suggests registries accept 4 MiB). */
  public static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
  /**
   * Type files shorter than this hold one line: a second line naming a blob ({@code sha256:}
   * and 64 hex digits, a newline) and the shortest first line ({@code a/b} and a newline) take
   * at least this many bytes. Only longer ones need reading when the store is opened.
   */
  private static final int MIN_TWO_LINE_BYTES = 4 + 7 + 64 + 1;

  private final BlobStore blobs;
  private final BlobIndex index;
  private final Path types;
  private final long memoryBudget;
  private long memoryUsed;
  private final LinkedHashMap<Digest, CachedManifest> memory = new LinkedHashMap<>(64, 0.75f, true);
  /** Every manifest with a type file on disk. */
  private final Set<Digest> typed = ConcurrentHashMap.newKeySet();
  /** Signed schema 1 manifests only: payload digest to the blob holding the signed bytes ... */
  private final ConcurrentHashMap<Digest, Digest> blobOfPayload = new ConcurrentHashMap<>();
  /** ... and back. */
  private final ConcurrentHashMap<Digest, Digest> payloadOfBlob = new ConcurrentHashMap<>();

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

  /**
   * Learns which manifests are stored from the type files (the blob index must be rebuilt
   * first), deleting those whose blob is gone.
   *
   * @return how many manifests are stored
   */
  public int rebuild() throws IOException {
    typed.clear();
    blobOfPayload.clear();
    payloadOfBlob.clear();
    int removed = 0;
    try (DirectoryStream<Path> algs = Files.newDirectoryStream(types)) {
      for (Path algDir : algs) {
        if (!Files.isDirectory(algDir)) {
          continue;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(algDir)) {
          for (Path f : files) {
            Digest m;
            try {
              m = new Digest(algDir.getFileName().toString(), f.getFileName().toString());
            } catch (IllegalArgumentException notOurs) {
              continue; // a temp file of an interrupted write, or a stranger: left alone
            }
            Digest blob = Files.size(f) < MIN_TWO_LINE_BYTES ? m : blobOf(m, f);
            if (blob == null || index.peek(blob) == null) {
              Files.deleteIfExists(f);
              removed++;
              continue;
            }
            track(m, blob);
          }
        }
      }
    }
    if (removed > 0) {
      LOG.info("removed {} media-type file(s) of manifests no longer stored", removed);
    }
    return typed.size();
  }

  /** The blob a two-line type file names; null when unreadable. */
  private static Digest blobOf(Digest manifest, Path typeFile) throws IOException {
    try {
      String[] lines = Files.readString(typeFile, StandardCharsets.UTF_8).strip().split("\n");
      return lines.length > 1 ? Digest.parse(lines[1].strip()) : manifest;
    } catch (NoSuchFileException | IllegalArgumentException e) {
      return null;
    }
  }

  private void track(Digest manifest, Digest blob) {
    typed.add(manifest);
    if (!blob.equals(manifest)) {
      blobOfPayload.put(manifest, blob);
      payloadOfBlob.put(blob, manifest);
    }
  }

  /** True when the manifest is stored: its type file and its blob are both there. */
  public boolean contains(Digest manifest) {
    return typed.contains(manifest) && index.peek(blobOfPayload.getOrDefault(manifest, manifest)) != null;
  }

  /** Bytes the type files take, as counted toward the store's size. */
  public long bookkeepingBytes() {
    return typed.size() * BlobIndex.BLOCK;
  }

  /**
   * A blob was evicted: the manifests whose bytes it held are gone too. Deletes their type
   * files and forgets them.
   *
   * @return the digests of the manifests that are no longer stored
   */
  public List<Digest> blobEvicted(Digest blob) {
    List<Digest> gone = new ArrayList<>(1);
    Digest payload = payloadOfBlob.remove(blob);
    if (payload != null) {
      blobOfPayload.remove(payload, blob);
      gone.add(payload);
    }
    if (!blobOfPayload.containsKey(blob) && typed.contains(blob)) {
      gone.add(blob);
    }
    for (Digest m : gone) {
      typed.remove(m);
      synchronized (memory) {
        CachedManifest old = memory.remove(m);
        if (old != null) {
          memoryUsed -= old.bytes().length;
        }
      }
      try {
        Files.deleteIfExists(typeFile(m));
      } catch (IOException e) {
        LOG.warn("could not delete the media-type file of {}: {}", m, e.toString());
      }
    }
    return gone;
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
      index.forget(blob);
      return Optional.empty();
    }
    // read from disk: hashed every time (a few KiB), never served unless it is what it says
    String wrong = bytes.length != e.size() ? "size" : !Digest.of(blob.algorithm(), bytes).equals(blob) ? "digest" : null;
    if (wrong != null) {
      if (index.dropCorrupt(e, wrong)) {
        LOG.warn("stored manifest {} is corrupt (wrong {}): dropped; it is fetched again", digest, wrong);
      }
      return Optional.empty();
    }
    e.verified(e.stamp());
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
    if (index.peek(blob) == null) {
      try (BlobWriter w = blobs.create(blob)) {
        w.write(ByteBuffer.wrap(bytes));
        index.add(w.commit());
      }
    }
    // after the bytes: a type file never names a manifest whose bytes could not be stored
    AtomicFiles.write(typeFile(digest), typeLine.getBytes(StandardCharsets.UTF_8));
    track(digest, blob);
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
