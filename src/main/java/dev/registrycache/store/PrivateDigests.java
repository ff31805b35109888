package dev.registrycache.store;

import dev.registrycache.files.AtomicFiles;
import dev.registrycache.oci.Digest;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The digests of content fetched with a client's own credentials: served only to clients whose
 * credentials upstream accepts for it. Each is an empty marker file {@code ROOT/private/ALG-HEX},
 * written durably before the content is stored, so that a crash can leave a marker without its
 * content but never private content without its marker. Kept in memory too: a hit asks this set,
 * never the disk.
 */
public final class PrivateDigests {
  private static final Logger LOG = LoggerFactory.getLogger(PrivateDigests.class);
  private final Path dir;
  private final Set<Digest> marked = ConcurrentHashMap.newKeySet();

  public PrivateDigests(Path root) throws IOException {
    this.dir = root.resolve("private");
    Files.createDirectories(dir);
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        Digest d = parse(f.getFileName().toString());
        if (d != null) {
          marked.add(d);
        }
      }
    }
    if (!marked.isEmpty()) {
      LOG.info("storage {}: {} digests served only to clients upstream accepts", root, marked.size());
    }
  }

  private static Digest parse(String name) {
    int dash = name.indexOf('-');
    try {
      return dash < 0 ? null : new Digest(name.substring(0, dash), name.substring(dash + 1));
    } catch (IllegalArgumentException e) {
      return null; // not ours (a temp file, something put there by hand)
    }
  }

  public boolean contains(Digest d) {
    return marked.contains(d);
  }

  /** Marks {@code d} private, durably; throws when it cannot (the content must not be stored then). */
  public void mark(Digest d) throws IOException {
    if (marked.contains(d)) {
      return;
    }
    Files.createDirectories(dir);
    AtomicFiles.writeDurably(dir.resolve(d.algorithm() + "-" + d.hex()), new byte[0],
        PosixFilePermissions.fromString("rw-------"));
    marked.add(d);
  }

  /** Upstream served {@code d} anonymously after all: everyone may have it. */
  public void unmark(Digest d) {
    if (marked.remove(d)) {
      try {
        Files.deleteIfExists(dir.resolve(d.algorithm() + "-" + d.hex()));
      } catch (IOException e) {
        LOG.warn("could not remove the private marker of {}: {}", d, e.toString());
      }
    }
  }

  public int size() {
    return marked.size();
  }
}
