package dev.registrycache.store;

import dev.registrycache.oci.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-memory view of what is stored: sizes, last use and readers per blob, the total size,
 * and least-recently-used eviction. Rebuilt from disk at start-up (file modification times
 * carry the last use across restarts: {@link #persistLastUse()} writes them back lazily).
 * Lookups on the hot path touch no disk.
 */
public final class BlobIndex {
  private static final Logger LOG = LoggerFactory.getLogger(BlobIndex.class);
  /** Last-use times closer than this to the file's mtime are not written back. */
  private static final long PERSIST_GRANULARITY_MS = 60 * 60 * 1000L;

  /**
   * What a small bookkeeping file or a directory is counted as: one block, the least most file
   * systems allocate for it.
   */
  public static final long BLOCK = 4096;

  private final BlobStore store;
  private final ConcurrentHashMap<Digest, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicLong blobBytes = new AtomicLong();
  private final AtomicLong evictions = new AtomicLong();
  private final List<LongSupplier> bookkeeping = new CopyOnWriteArrayList<>();
  private final List<Consumer<Digest>> evictionListeners = new CopyOnWriteArrayList<>();
  private final AtomicLong reservedBytes = new AtomicLong();
  private final ConcurrentHashMap<String, AtomicLong> corruptions = new ConcurrentHashMap<>();
  private final Set<Reservation> reservations = ConcurrentHashMap.newKeySet();

  /** One stored blob, as the index sees it. */
  public static final class Entry {
    private final StoredBlob blob;
    private volatile long lastUsed;
    private volatile long persistedLastUse;
    private final AtomicInteger readers = new AtomicInteger();
    /** What a reader derived from the blob once and wants kept with it ({@link #derived}). */
    private volatile Object derived;
    /** The file as it was when its content was last known good. */
    private volatile FileStamp stamp;
    /** Its content hashed to its digest since the file last looked like {@link #stamp}. */
    private volatile boolean verified;

    Entry(StoredBlob blob, boolean verified) {
      this.blob = blob;
      this.lastUsed = blob.lastUsedMillis();
      this.persistedLastUse = blob.lastUsedMillis();
      this.stamp = blob.stamp();
      this.verified = verified;
    }

    /**
     * True when the content is known to hash to the digest: written and checked by this process,
     * or hashed since (a blob found on disk at start, or changed since, is not, until checked).
     */
    public boolean verified() {
      return verified;
    }

    public FileStamp stamp() {
      return stamp;
    }

    /** The file was found changed (written to, replaced): to be hashed again before it is served. */
    public void changed(FileStamp now) {
      verified = false;
      stamp = now;
    }

    /** The content hashed to the digest while the file looked like {@code at}. */
    public void verified(FileStamp at) {
      stamp = at;
      verified = true;
    }

    public StoredBlob blob() {
      return blob;
    }

    public long size() {
      return blob.size();
    }

    /**
     * A value {@code derive} makes from the blob, made once and then kept as long as this entry
     * (the server's answer headers: the same for every answer). One kind of value per entry.
     */
    public <T> T derived(Class<T> type, java.util.function.Function<StoredBlob, T> derive) {
      Object d = derived;
      if (type.isInstance(d)) {
        return type.cast(d);
      }
      T made = derive.apply(blob);
      derived = made;
      return made;
    }

    public long lastUsed() {
      return lastUsed;
    }

    /** Marks the blob in use until {@link #release()}; eviction skips it meanwhile. */
    public void retain() {
      readers.incrementAndGet();
    }

    public void release() {
      readers.decrementAndGet();
    }

    public int readers() {
      return readers.get();
    }
  }

  public BlobIndex(BlobStore store) {
    this.store = store;
  }

  /**
   * Loads every stored blob, none of them verified (a file may have rotted while the cache was
   * not running); returns how many.
   */
  public int rebuild() throws IOException {
    entries.clear();
    blobBytes.set(0);
    store.forEach(b -> add(b, false));
    return entries.size();
  }

  /** The entry, marked as used now; null when not stored. */
  public Entry use(Digest digest) {
    Entry e = entries.get(digest);
    if (e != null) {
      e.lastUsed = System.currentTimeMillis();
    }
    return e;
  }

  public Entry peek(Digest digest) {
    return entries.get(digest);
  }

  /** Adds a blob just written and verified. */
  public void add(StoredBlob blob) {
    add(blob, true);
  }

  private void add(StoredBlob blob, boolean verified) {
    Entry fresh = new Entry(blob, verified);
    Entry old = entries.put(blob.digest(), fresh);
    blobBytes.addAndGet(blob.size() - (old == null ? 0 : old.size()));
  }

  /**
   * Drops a blob the disk no longer has (deleted behind our back), with what belonged to it (as
   * if evicted).
   */
  public void forget(Digest digest) {
    Entry old = entries.remove(digest);
    if (old != null) {
      gone(digest, old);
    }
  }

  /** Bytes stored: the blobs and the bookkeeping beside them (tags, media types, directories). */
  public long totalBytes() {
    long t = blobBytes.get();
    for (LongSupplier b : bookkeeping) {
      t += b.getAsLong();
    }
    return t;
  }

  /** Counts {@code bytes} (files kept beside the blobs) toward the size eviction enforces. */
  public void countAlso(LongSupplier bytes) {
    bookkeeping.add(bytes);
  }

  /**
   * Adds a listener told of every blob eviction, right after the file was deleted (on the
   * evicting thread), to collect what lived only for that blob; it may make {@link #countAlso}
   * sources shrink.
   */
  public void onEviction(Consumer<Digest> listener) {
    evictionListeners.add(listener);
  }

  public int count() {
    return entries.size();
  }

  public long evictions() {
    return evictions.get();
  }

  /**
   * Room a download in progress was promised for its blob, counted against the limits with the
   * stored bytes until it is stored ({@link #add(StoredBlob, Reservation)}) or given up
   * ({@link #release()}).
   */
  public final class Reservation {
    private final long bytes;
    private volatile long written;
    private final AtomicBoolean held = new AtomicBoolean(true);

    private Reservation(long bytes) {
      this.bytes = bytes;
    }

    public long bytes() {
      return bytes;
    }

    /** The download has written this many bytes: they take no more free space than they do now. */
    public void progress(long writtenBytes) {
      written = writtenBytes;
    }

    /** Gives the room back (harmless when already given back). */
    public void release() {
      if (held.compareAndSet(true, false)) {
        reservations.remove(this);
        reservedBytes.addAndGet(-bytes);
      }
    }

    long unwritten() {
      return Math.max(0, bytes - written);
    }
  }

  /** Bytes promised to downloads in progress. */
  public long reservedBytes() {
    return reservedBytes.get();
  }

  /**
   * Stored and reserved bytes together, as one snapshot: what {@link #reserve} keeps within the
   * limit (reserving, evicting and storing a reserved blob hold the same lock).
   */
  public synchronized long bytesWithReservations() {
    return totalBytes() + reservedBytes.get();
  }

  private long unwrittenReserved() {
    long n = 0;
    for (Reservation r : reservations) {
      n += r.unwritten();
    }
    return n;
  }

  /**
   * Makes room for a blob of {@code size} bytes about to be downloaded: least recently used blobs
   * without readers are evicted until the stored and reserved bytes, with it, stay within
   * {@code maxBytes} and the file system keeps {@code minFree} free once it is written. Blocking
   * (files are deleted): never on an event loop.
   *
   * @return the reservation, or null when even evicting every blob no one reads would not make
   *     room (nothing is evicted then)
   */
  public synchronized Reservation reserve(long size, long maxBytes, LongSupplier usableBytes, long minFree) {
    long usable = usableBytes.getAsLong();
    long evictable = 0;
    for (Entry e : entries.values()) {
      if (e.readers() == 0) {
        evictable += e.size();
      }
    }
    long unwritten = unwrittenReserved();
    if (totalBytes() - evictable + reservedBytes.get() + size > maxBytes
        || usable + evictable - unwritten - size < minFree) {
      return null;
    }
    long[] free = {usable};
    BooleanSupplier roomy = () -> totalBytes() + reservedBytes.get() + size <= maxBytes
        && free[0] - unwritten - size >= minFree;
    evictLeastRecentlyUsed(roomy, free);
    if (!roomy.getAsBoolean()) {
      return null; // a blob could not be deleted, or one got a reader meanwhile
    }
    Reservation r = new Reservation(size);
    reservations.add(r);
    reservedBytes.addAndGet(size);
    return r;
  }

  /** Adds a downloaded blob; its reservation becomes stored bytes (never counted twice). */
  public synchronized void add(StoredBlob blob, Reservation reservation) {
    reservation.release();
    add(blob);
  }

  /**
   * Evicts least recently used blobs with no readers until the stored and reserved bytes are at
   * most {@code maxBytes} and the disk has at least {@code minFree} bytes free (besides what
   * downloads in progress still have to write).
   *
   * @return the evicted digests
   */
  public synchronized List<Digest> evict(long maxBytes, LongSupplier freeBytes, long minFree) {
    long[] free = {freeBytes.getAsLong()};
    long unwritten = unwrittenReserved();
    return evictLeastRecentlyUsed(() -> totalBytes() + reservedBytes.get() <= maxBytes
        && free[0] - unwritten >= minFree, free);
  }

  /** Evicts until {@code enough}; {@code free[0]} grows by what each eviction frees. */
  private List<Digest> evictLeastRecentlyUsed(BooleanSupplier enough, long[] free) {
    List<Digest> evicted = new ArrayList<>();
    if (enough.getAsBoolean()) {
      return evicted;
    }
    List<Entry> byAge = new ArrayList<>(entries.values());
    byAge.sort(Comparator.comparingLong(Entry::lastUsed));
    for (Entry e : byAge) {
      if (enough.getAsBoolean()) {
        break;
      }
      if (e.readers() > 0) {
        continue;
      }
      Digest d = e.blob().digest();
      try {
        store.delete(d);
      } catch (IOException ex) {
        LOG.warn("evicting {} failed: {}", d, ex.toString());
        continue;
      }
      if (entries.remove(d, e)) {
        free[0] = free[0] > Long.MAX_VALUE - e.size() ? Long.MAX_VALUE : free[0] + e.size();
        evictions.incrementAndGet();
        evicted.add(d);
        gone(d, e);
      }
    }
    if (!evicted.isEmpty()) {
      LOG.info("evicted {} blob(s); cache now {} bytes in {} blobs", evicted.size(),
          totalBytes(), entries.size());
    }
    return evicted;
  }

  /** Accounts for a blob that left the index, and tells the listeners. */
  private void gone(Digest d, Entry e) {
    blobBytes.addAndGet(-e.size());
    for (Consumer<Digest> l : evictionListeners) {
      try {
        l.accept(d);
      } catch (RuntimeException ex) {
        LOG.warn("collecting what belonged to {} failed: {}", d, ex.toString());
      }
    }
  }

  /**
   * Drops a blob whose file is not what it should be (wrong length or content): the file is
   * deleted, and what belonged to the blob goes as if it was evicted, readers or not. The next
   * request fetches it again.
   *
   * @return false when it was no longer in the index
   */
  public boolean dropCorrupt(Entry e, String reason) {
    corruptions.computeIfAbsent(reason, r -> new AtomicLong()).incrementAndGet();
    Digest d = e.blob().digest();
    try {
      store.delete(d);
    } catch (IOException ex) {
      LOG.warn("could not delete the corrupt blob {}: {}", d, ex.toString());
    }
    if (entries.remove(d, e)) {
      gone(d, e);
      return true;
    }
    return false;
  }

  /** Blobs dropped as corrupt for {@code reason} ({@code size}, {@code digest}, {@code unreadable}). */
  public long corruptions(String reason) {
    AtomicLong n = corruptions.get(reason);
    return n == null ? 0 : n.get();
  }

  /** Blobs not verified since the cache started (or since they changed). */
  public int unverified() {
    int n = 0;
    for (Entry e : entries.values()) {
      if (!e.verified()) {
        n++;
      }
    }
    return n;
  }

  /** The stored blobs, most recently used first. */
  public List<Entry> byRecentUse() {
    List<Entry> all = new ArrayList<>(entries.values());
    all.sort(Comparator.comparingLong(Entry::lastUsed).reversed());
    return all;
  }

  /**
   * Forgets every blob whose file is gone (the storage directory was removed or emptied behind
   * our back), with what belonged to it, as if evicted.
   *
   * @return how many were forgotten
   */
  public int dropMissing() {
    int n = 0;
    for (Entry e : entries.values()) {
      if (!Files.exists(e.blob().path()) && entries.remove(e.blob().digest(), e)) {
        gone(e.blob().digest(), e);
        n++;
      }
    }
    return n;
  }

  /** Writes last-use times back as file mtimes (hourly granularity), for the next start. */
  public void persistLastUse() {
    for (Entry e : entries.values()) {
      if (e.lastUsed - e.persistedLastUse >= PERSIST_GRANULARITY_MS) {
        try {
          Path p = e.blob().path();
          FileStamp before = FileStamp.of(Files.readAttributes(p, BasicFileAttributes.class));
          Files.setLastModifiedTime(p, FileTime.fromMillis(e.lastUsed));
          e.persistedLastUse = e.lastUsed;
          // the time written is ours: the file still counts as unchanged, unless it was not before
          FileStamp after = FileStamp.of(Files.readAttributes(p, BasicFileAttributes.class));
          FileStamp known = e.stamp();
          if (known == null || known.equals(before)) {
            e.stamp = after;
          } else {
            e.changed(after);
          }
        } catch (IOException ex) {
          LOG.debug("could not persist last use of {}: {}", e.blob().digest(), ex.toString());
        }
      }
    }
  }
}
