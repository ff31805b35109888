package dev.registrycache.store;

import dev.registrycache.files.AtomicFiles;
import dev.registrycache.oci.Digest;
import dev.registrycache.oci.MediaTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Tags and the catalog: {@code ROOT/repositories/REGISTRY/REPO/_manifests/tags/TAG} holds
 * {@code digest mediaType size checkedAt} on one line. Repository names and tags are validated
 * by the protocol layer before they get here; their grammar cannot express {@code ..}, and
 * {@code _manifests} can never be a repository path component.
 */
public final class TagStore {
  private static final String MANIFESTS_DIR = "_manifests";
  /** Tags kept in memory; the rest are read from disk when asked for. */
  static final int MEMORY_ENTRIES = 16_384;
  private final Path root;
  private final LruMap<String, TagEntry> memory = new LruMap<>(MEMORY_ENTRIES);

  public TagStore(Path storageRoot) throws IOException {
    this.root = storageRoot.resolve("repositories");
    Files.createDirectories(root);
  }

  private Path repoDir(String registry, String repository) {
    return root.resolve(registry).resolve(repository).resolve(MANIFESTS_DIR);
  }

  private static String key(String registry, String repository, String tag) {
    return registry + '/' + repository + ':' + tag;
  }

  /** The tag if it is in memory; touches no disk. */
  public TagEntry peek(String registry, String repository, String tag) {
    return memory.get(key(registry, repository, tag));
  }

  /** The tag from memory or disk; empty when it was never cached (or is unreadable). */
  public Optional<TagEntry> get(String registry, String repository, String tag) throws IOException {
    String k = key(registry, repository, tag);
    TagEntry e = memory.get(k);
    if (e != null) {
      return Optional.of(e);
    }
    Path f = repoDir(registry, repository).resolve("tags").resolve(tag);
    String line;
    try {
      line = Files.readString(f, StandardCharsets.UTF_8).trim();
    } catch (NoSuchFileException ex) {
      return Optional.empty();
    }
    String[] parts = line.split(" ");
    try {
      e = new TagEntry(Digest.parse(parts[0]), parts[1], Long.parseLong(parts[2]),
          Long.parseLong(parts[3]));
      if (!MediaTypes.isValid(e.mediaType())) {
        throw new IllegalArgumentException("invalid media type");
      }
    } catch (RuntimeException ex) {
      Files.deleteIfExists(f); // unreadable: forget it, upstream will be asked again
      return Optional.empty();
    }
    memory.put(k, e);
    return Optional.of(e);
  }

  public void put(String registry, String repository, String tag, TagEntry e) throws IOException {
    String line = e.digest() + " " + e.mediaType() + " " + e.size() + " " + e.checkedAtMillis() + "\n";
    AtomicFiles.write(repoDir(registry, repository).resolve("tags").resolve(tag),
        line.getBytes(StandardCharsets.UTF_8));
    memory.put(key(registry, repository, tag), e);
  }

  /** Records that a repository has cached content (for the catalog). */
  public void markRepository(String registry, String repository) throws IOException {
    Files.createDirectories(repoDir(registry, repository));
  }

  /** Cached tags of one repository, sorted. */
  public List<String> tags(String registry, String repository) throws IOException {
    Path dir = repoDir(registry, repository).resolve("tags");
    TreeSet<String> out = new TreeSet<>();
    if (Files.isDirectory(dir)) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        for (Path p : ds) {
          String n = p.getFileName().toString();
          if (!n.startsWith(".")) {
            out.add(n);
          }
        }
      }
    }
    return new ArrayList<>(out);
  }

  /** Every cached repository as {@code REGISTRY/REPO}, sorted. */
  public List<String> repositories() throws IOException {
    TreeSet<String> out = new TreeSet<>();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
        if (dir.getFileName().toString().equals(MANIFESTS_DIR)) {
          out.add(root.relativize(dir.getParent()).toString().replace('\\', '/'));
          return FileVisitResult.SKIP_SUBTREE;
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return new ArrayList<>(out);
  }
}
