package dev.registrycache.store;

import dev.registrycache.oci.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blobs under {@code ROOT/blobs/ALG/XX/HEX}, written through {@code ROOT/tmp/} (same file
 * system, so the final rename is atomic). Temp files left by a crash are removed at start-up.
 * Directories removed while the store is in use (a node clean-up) are made again when needed.
 */
public final class FileSystemBlobStore implements BlobStore {
  private static final Logger LOG = LoggerFactory.getLogger(FileSystemBlobStore.class);
  private final Path root;
  private final Path blobs;
  private final Path tmp;

  public FileSystemBlobStore(Path root) throws IOException {
    this.root = root;
    this.blobs = root.resolve("blobs");
    this.tmp = root.resolve("tmp");
    Files.createDirectories(blobs);
    Files.createDirectories(tmp);
    cleanTemp();
  }

  /**
   * Makes the store's directories again if they were removed.
   *
   * @return true when some were missing (blobs stored before are then gone too)
   */
  public boolean restoreLayout() throws IOException {
    boolean missing = !Files.isDirectory(blobs) || !Files.isDirectory(tmp);
    if (missing) {
      Files.createDirectories(blobs);
      Files.createDirectories(tmp);
    }
    return missing;
  }

  @Override
  public DiskUsage diskUsage() throws IOException {
    FileStore fs = Files.getFileStore(root);
    return new DiskUsage(fs.getTotalSpace(), fs.getUsableSpace());
  }

  private void cleanTemp() throws IOException {
    int removed = 0;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmp)) {
      for (Path p : ds) {
        Files.deleteIfExists(p);
        removed++;
      }
    }
    if (removed > 0) {
      LOG.info("removed {} unfinished download(s) left in {}", removed, tmp);
    }
  }

  public Path pathOf(Digest d) {
    return blobs.resolve(d.algorithm()).resolve(d.hex().substring(0, 2)).resolve(d.hex());
  }

  @Override
  public Optional<StoredBlob> find(Digest digest) throws IOException {
    Path p = pathOf(digest);
    try {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
      return Optional.of(new StoredBlob(digest, p, a.size(), a.lastModifiedTime().toMillis(), FileStamp.of(a)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public BlobWriter create(Digest digest) throws IOException {
    Path temp = tmp.resolve(digest.hex().substring(0, 12) + "-" + UUID.randomUUID());
    FileChannel ch;
    try {
      ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    } catch (NoSuchFileException removed) { // the directory went away under us: make it again
      Files.createDirectories(tmp);
      ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }
    return new Writer(digest, temp, ch);
  }

  @Override
  public boolean delete(Digest digest) throws IOException {
    return Files.deleteIfExists(pathOf(digest));
  }

  @Override
  public void forEach(Consumer<StoredBlob> visitor) throws IOException {
    for (String alg : new String[] {"sha256", "sha512"}) {
      Path algDir = blobs.resolve(alg);
      if (!Files.isDirectory(algDir)) {
        continue;
      }
      try (DirectoryStream<Path> prefixes = Files.newDirectoryStream(algDir)) {
        for (Path prefix : prefixes) {
          try (DirectoryStream<Path> files = Files.newDirectoryStream(prefix)) {
            for (Path f : files) {
              Digest d;
              try {
                d = new Digest(alg, f.getFileName().toString());
              } catch (IllegalArgumentException e) {
                LOG.warn("ignoring stray file {}", f);
                continue;
              }
              BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
              visitor.accept(new StoredBlob(d, f, a.size(), a.lastModifiedTime().toMillis(), FileStamp.of(a)));
            }
          }
        }
      }
    }
  }

  private final class Writer implements BlobWriter {
    private final Digest digest;
    private final Path temp;
    private final FileChannel channel;
    private final MessageDigest md;
    private long written;
    /** Some bytes were only hashed, not written: the file is not the blob. */
    private boolean incomplete;
    private boolean done;

    Writer(Digest digest, Path temp, FileChannel channel) {
      this.digest = digest;
      this.temp = temp;
      this.channel = channel;
      this.md = digest.newMessageDigest();
    }

    @Override
    public Path tempPath() {
      return temp;
    }

    @Override
    public void write(ByteBuffer buffer) throws IOException {
      if (incomplete) {
        throw new IOException("an earlier write of " + digest + " failed");
      }
      while (buffer.hasRemaining()) {
        int from = buffer.position();
        int n = channel.write(buffer);
        md.update(buffer.duplicate().position(from).limit(from + n)); // exactly what the file has
        written += n;
      }
    }

    @Override
    public void hashOnly(ByteBuffer buffer) {
      incomplete = true;
      md.update(buffer);
    }

    @Override
    public long written() {
      return written;
    }

    @Override
    public boolean digestMatches() {
      try {
        return digest.matches((MessageDigest) md.clone());
      } catch (CloneNotSupportedException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void sync() throws IOException {
      channel.force(false);
    }

    @Override
    public StoredBlob commit() throws IOException {
      if (incomplete) {
        abort();
        throw new IOException("not all of " + digest + " was written");
      }
      if (!digestMatches()) {
        abort();
        throw new DigestMismatchException("content of " + written + " bytes does not match " + digest);
      }
      try {
        channel.force(false);
        channel.close();
        Path target = pathOf(digest);
        Files.createDirectories(target.getParent());
        try {
          Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
          Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        done = true;
        FileStamp stamp = FileStamp.of(Files.readAttributes(target, BasicFileAttributes.class));
        return new StoredBlob(digest, target, written, System.currentTimeMillis(), stamp);
      } catch (IOException e) {
        abort();
        throw e;
      }
    }

    @Override
    public void abort() {
      if (done) {
        return;
      }
      done = true;
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing a temp file we are about to delete
      }
      try {
        Files.deleteIfExists(temp);
      } catch (IOException e) {
        LOG.warn("could not delete temp file {}: {}", temp, e.toString());
      }
    }
  }
}
