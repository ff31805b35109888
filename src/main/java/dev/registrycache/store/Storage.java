package dev.registrycache.store;

import dev.registrycache.oci.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache's storage as a whole: blobs, their index, manifests and tags under one directory,
 * kept within its limits (eviction) and watched: a directory removed while the cache runs is
 * made again and what was in it forgotten, and a small write probe tells whether the storage
 * takes writes ({@link StorageHealth}).
 */
public final class Storage {
  private static final Logger LOG = LoggerFactory.getLogger(Storage.class);
  /** What the write probe names its temp file after (the digest of nothing). */
  private static final Digest PROBE = Digest.sha256Of(new byte[0]);
  /** Below this much usable space a working probe does not end a "no space" state. */
  private static final long SPACE_TO_RECOVER = 1 << 20;

  private final Path root;
  private final FileSystemBlobStore files;
  private final BlobStore blobs;
  private final BlobIndex index;
  private final ManifestStore manifests;
  private final TagStore tags;
  private final PrivateDigests privateDigests;
  private final StorageHealth health = new StorageHealth();
  private final long maxBytes;
  private final long minFreeBytes;
  /** The last time the storage directories had to be made again, for {@code /status}; null if never. */
  private volatile String lastRemoval;

  private Storage(Path root, FileSystemBlobStore files, BlobStore blobs, long maxBytes, long minFreeBytes)
      throws IOException {
    this.root = root;
    this.files = files;
    this.blobs = blobs;
    this.maxBytes = maxBytes;
    this.minFreeBytes = minFreeBytes;
    this.index = new BlobIndex(blobs);
    this.privateDigests = new PrivateDigests(root);
    int count = index.rebuild();
    LOG.info("storage {}: {} blobs, {} bytes (limit {} bytes, keep {} bytes free)", root, count,
        index.totalBytes(), maxBytes, minFreeBytes);
    this.manifests = new ManifestStore(root, blobs, index, 8L << 20);
    this.tags = new TagStore(root);
    LOG.info("storage {}: {}", root, Bookkeeping.open(index, manifests, tags));
  }

  /**
   * Opens (or creates) the storage under {@code root}; {@code wrap} may put something around the
   * blob store (to watch or fail its writes), or return it as it is.
   */
  public static Storage open(Path root, long maxBytes, long minFreeBytes, UnaryOperator<BlobStore> wrap)
      throws IOException {
    Files.createDirectories(root);
    FileSystemBlobStore files = new FileSystemBlobStore(root);
    Storage s = new Storage(root, files, wrap.apply(files), maxBytes, minFreeBytes);
    String warning = s.limitsWarning();
    if (warning != null) {
      LOG.warn("{}", warning);
    }
    return s;
  }

  public BlobStore blobs() {
    return blobs;
  }

  public BlobIndex index() {
    return index;
  }

  public ManifestStore manifests() {
    return manifests;
  }

  public TagStore tags() {
    return tags;
  }

  /** Content fetched with a client's own credentials (see {@link PrivateDigests}). */
  public PrivateDigests privateDigests() {
    return privateDigests;
  }

  public StorageHealth health() {
    return health;
  }

  /** The file system's size and usable bytes; null when it cannot be asked. */
  public DiskUsage diskUsage() {
    try {
      return blobs.diskUsage();
    } catch (IOException e) {
      return null;
    }
  }

  /** Evicts least recently used blobs until the store is within its size and free-space limits. */
  public void evict() {
    try {
      long free = blobs.diskUsage().usableBytes();
      index.evict(maxBytes, () -> {
        DiskUsage d = diskUsage();
        return d == null ? free : d.usableBytes();
      }, minFreeBytes);
    } catch (IOException | RuntimeException e) {
      LOG.warn("eviction failed: {}", e.toString());
    }
  }

  /**
   * Makes the storage directories again if they were removed (forgetting what was in them) and
   * probes whether the storage takes writes. Blocking: call it off the event loops, periodically.
   */
  public void check() {
    try {
      if (files.restoreLayout()) {
        health.failed("finding the storage directories", new NoSuchFileException(root.toString()));
        int forgotten = index.dropMissing();
        lastRemoval = "storage directories were removed while in use; made again at " + Instant.now()
            + ", " + forgotten + " stored blob(s) forgotten (fetched again when asked for)";
        LOG.warn("storage directory {} was removed while in use: made it again; {} stored blob(s) were gone"
            + " and will be fetched again when asked for", root, forgotten);
      }
    } catch (IOException e) {
      health.failed("making the storage directories again", e);
      return;
    }
    try (BlobWriter w = blobs.create(PROBE)) {
      w.write(ByteBuffer.wrap(new byte[] {0}));
    } catch (IOException e) {
      health.failed("a write probe", e);
      return;
    }
    DiskUsage d = diskUsage();
    if (d == null || d.usableBytes() >= Math.min(SPACE_TO_RECOVER, minFreeBytes) || health.writable()) {
      health.succeeded();
    }
  }

  /**
   * Why the configured limits cannot hold on this file system, or null when they can: a
   * {@code minFreeSpace} larger than the whole disk evicts everything as soon as it is stored, a
   * {@code maxSize} larger than what fits is never reached.
   */
  public String limitsWarning() {
    DiskUsage d = diskUsage();
    return d == null ? null : limitsWarning(maxBytes, minFreeBytes, index.totalBytes(), d);
  }

  static String limitsWarning(long maxBytes, long minFreeBytes, long storedBytes, DiskUsage disk) {
    if (minFreeBytes >= disk.totalBytes()) {
      return "storage.minFreeSpace (" + human(minFreeBytes) + ") is not less than the whole file system ("
          + human(disk.totalBytes()) + "): every blob would be evicted as soon as it is stored, so nothing is"
          + " cached; lower storage.minFreeSpace";
    }
    long room = Math.max(0, storedBytes + disk.usableBytes() - minFreeBytes);
    if (maxBytes > room) {
      return "storage.maxSize (" + human(maxBytes) + ") cannot be reached on this file system: it has "
          + human(disk.totalBytes()) + ", " + human(disk.usableBytes()) + " of it usable, and storage.minFreeSpace"
          + " keeps " + human(minFreeBytes) + " free, so the cache holds at most about " + human(room);
    }
    return null;
  }

  /** Lines for {@code /status}. */
  public String status() {
    StringBuilder sb = new StringBuilder("storage ").append(root).append(": ").append(human(index.totalBytes()))
        .append(" in ").append(index.count()).append(" blobs (limit ").append(human(maxBytes)).append(')');
    DiskUsage d = diskUsage();
    if (d != null) {
      sb.append(", ").append(human(d.usableBytes())).append(" of ").append(human(d.totalBytes()))
          .append(" usable on the file system");
    }
    sb.append(health.writable() ? ", writable" : "\n" + health.problem());
    String removal = lastRemoval;
    if (removal != null) {
      sb.append("\n").append(removal);
    }
    String warning = d == null ? null : limitsWarning(maxBytes, minFreeBytes, index.totalBytes(), d);
    if (warning != null) {
      sb.append("\nwarning: ").append(warning);
    }
    return sb.toString();
  }

  /** Bytes for people: {@code 64.0 MiB}. */
  static String human(long bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
