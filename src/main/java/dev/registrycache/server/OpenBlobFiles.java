package dev.registrycache.server;

import dev.registrycache.oci.Digest;
import io.netty.channel.DefaultFileRegion;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stored blobs kept open for reading, shared by every answer that sends them (what nginx's
 * {@code open_file_cache} does): a repeated hit opens and closes nothing, and the first one
 * opens the file on the disk executor, never on an event loop. Content is addressed by digest
 * and never changes, so an open file can never be stale; a blob that is evicted is
 * {@link #close closed} (once the answers sending it are done), so its space is freed. Bounded
 * in number: beyond {@code maxOpen}, arbitrary files are closed (hot ones are opened again).
 */
final class OpenBlobFiles {
  private final int maxOpen;
  private final Executor disk;
  private final ConcurrentHashMap<Digest, Handle> open = new ConcurrentHashMap<>();

  /** One open file: closed when the set and every region sending it have let go. */
  static final class Handle {
    private final FileChannel file;
    private final AtomicInteger refs = new AtomicInteger(1); // the set's own

    private Handle(FileChannel file) {
      this.file = file;
    }

    private boolean retain() {
      for (int n = refs.get(); n > 0; n = refs.get()) {
        if (refs.compareAndSet(n, n + 1)) {
          return true;
        }
      }
      return false; // closed meanwhile
    }

    void release() {
      if (refs.decrementAndGet() == 0) {
        RegistryRequestHandler.closeQuietly(file);
      }
    }

    /** A region to write (sendfile); writing it, or releasing it, releases this handle once. */
    DefaultFileRegion region(long position, long count) {
      return new DefaultFileRegion(file, position, count) {
        @Override
        protected void deallocate() {
          Handle.this.release(); // the file is shared: only this region's hold on it ends
        }
      };
    }

    boolean isOpen() {
      return file.isOpen();
    }
  }

  OpenBlobFiles(int maxOpen, Executor disk) {
    this.maxOpen = maxOpen;
    this.disk = disk;
  }

  /** The open file, retained for the caller (release it, or write a region of it); null when not open. */
  Handle get(Digest digest) {
    Handle h = open.get(digest);
    return h != null && h.retain() ? h : null;
  }

  /** Opens the file on the disk executor; completes with a handle retained for the caller. */
  CompletableFuture<Handle> open(Digest digest, Path path) {
    return CompletableFuture.supplyAsync(() -> {
      Handle mine;
      try {
        mine = new Handle(FileChannel.open(path, StandardOpenOption.READ));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      mine.retain(); // the caller's
      for (Handle running = open.putIfAbsent(digest, mine); running != null;
          running = open.putIfAbsent(digest, mine)) {
        if (running.retain()) {
          mine.release();
          mine.release();
          return running; // opened by another answer meanwhile
        }
        open.remove(digest, running); // closed meanwhile
      }
      if (open.size() > maxOpen) {
        makeRoom(digest);
      }
      return mine;
    }, disk);
  }

  /** The blob was evicted or vanished: closed once the answers sending it are done. */
  void close(Digest digest) {
    Handle h = open.remove(digest);
    if (h != null) {
      h.release();
    }
  }

  /** Closes everything (at shutdown). */
  void closeAll() {
    for (Digest d : open.keySet()) {
      close(d);
    }
  }

  int size() {
    return open.size();
  }

  private void makeRoom(Digest keep) {
    Iterator<Map.Entry<Digest, Handle>> it = open.entrySet().iterator();
    while (open.size() > maxOpen && it.hasNext()) {
      Map.Entry<Digest, Handle> e = it.next();
      if (!e.getKey().equals(keep) && open.remove(e.getKey(), e.getValue())) {
        e.getValue().release();
      }
    }
  }
}
