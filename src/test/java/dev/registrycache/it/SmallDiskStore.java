package dev.registrycache.it;

import dev.registrycache.oci.Digest;
import dev.registrycache.store.BlobStore;
import dev.registrycache.store.BlobWriter;
import dev.registrycache.store.DiskUsage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * A store on what behaves like a small file system of its own: {@code capacity} bytes, of which
 * the files under the storage directory (and whatever {@link #fill} says others took) are used.
 * A write that does not fit writes what does and fails as the kernel does, with "No space left
 * on device"; free space is what is left. No mount needed.
 */
class SmallDiskStore extends ForwardingBlobStore {
  private final Path root;
  private final long capacity;
  private volatile long takenByOthers;

  SmallDiskStore(BlobStore delegate, Path root, long capacity) {
    super(delegate);
    this.root = root;
    this.capacity = capacity;
  }

  /** Another program on the same file system now takes {@code bytes}. */
  void fill(long bytes) {
    takenByOthers = bytes;
  }

  long used() {
    try (Stream<Path> files = Files.walk(root)) {
      return takenByOthers + files.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (java.nio.file.NoSuchFileException gone) {
          return 0;
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public DiskUsage diskUsage() {
    return new DiskUsage(capacity, Math.max(0, capacity - used()));
  }

  @Override
  public BlobWriter create(Digest d) throws IOException {
    return new ForwardingBlobWriter(super.create(d)) {
      @Override
      public void write(ByteBuffer buffer) throws IOException {
        long room = capacity - used();
        if (buffer.remaining() <= room) {
          super.write(buffer);
          return;
        }
        if (room > 0) {
          ByteBuffer fits = buffer.duplicate();
          fits.limit(fits.position() + (int) room);
          super.write(fits);
          buffer.position(fits.position());
        }
        throw new IOException("No space left on device");
      }
    };
  }
}
