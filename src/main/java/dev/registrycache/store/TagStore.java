package dev.registrycache.store;

import dev.registrycache.files.AtomicFiles;
import dev.registrycache.oci.Digest;
import dev.registrycache.oci.MediaTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tags and the catalog: {@code ROOT/repositories/REGISTRY/REPO/_manifests/tags/TAG} holds
 * {@code digest mediaType size checkedAt} on one line. Repository names and tags are validated
 * by the protocol layer before they get here; their grammar cannot express {@code ..}, and
 * {@code _manifests} can never be a repository path component.
 *
 * <p>A tag lives as long as its manifest: when the manifest is evicted, {@link #manifestsGone}
 * deletes the tag file, and the repository's directories with its last tag. Every tag file
 * counts as one {@link BlobIndex#BLOCK} toward the store's size, every repository as its three
 * directories.
 */
public final class TagStore {
  private static final Logger LOG = LoggerFactory.getLogger(TagStore.class);
  private static final String MANIFESTS_DIR = "_manifests";
  /** Tags kept in memory; the rest are read from disk when asked for. */
  static final int MEMORY_ENTRIES = 16_384;
  /** The directories a repository adds: its own, {@code _manifests} and {@code tags}. */
  private static final int DIRECTORIES_PER_REPOSITORY = 3;
  private final Path root;
  private final LruMap<String, TagEntry> memory = new LruMap<>(MEMORY_ENTRIES);
  /** Every tag file on disk and the manifest it names (what eviction collects by). */
  private final ConcurrentHashMap<Tag, Digest> onDisk = new ConcurrentHashMap<>();
  /** Tag files per repository ({@code REGISTRY/REPO}). */
  private final ConcurrentHashMap<String, Integer> tagsPerRepository = new ConcurrentHashMap<>();
  /** Held while tag files are written and repository directories removed. */
  private final Object layout = new Object();
  /** Whether a manifest is still stored, as told by {@link #rebuild}. */
  private volatile Predicate<Digest> manifestStored = d -> true;

  private record Tag(String registry, String repository, String tag) {
    String repositoryKey() {
      return registry + '/' + repository;
    }
  }

  public TagStore(Path storageRoot) throws IOException {
    this.root = storageRoot.resolve("repositories");
    Files.createDirectories(root);
  }

  private Path repoDir(String registry, String repository) {
    return root.resolve(registry).resolve(repository).resolve(MANIFESTS_DIR);
  }

  private Path tagFile(Tag t) {
    return repoDir(t.registry(), t.repository()).resolve("tags").resolve(t.tag());
  }

  private static String key(String registry, String repository, String tag) {
    return registry + '/' + repository + ':' + tag;
  }

  /**
   * Reads every tag file, deleting those whose manifest is no longer stored (and the
   * directories left empty), so that what is on disk can be served.
   *
   * @return how many tags are stored
   */
  public int rebuild(Predicate<Digest> manifestStored) throws IOException {
    this.manifestStored = manifestStored;
    onDisk.clear();
    tagsPerRepository.clear();
    List<Tag> gone = new ArrayList<>();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        if (!dir.getFileName().toString().equals(MANIFESTS_DIR)) {
          return FileVisitResult.CONTINUE;
        }
        String repo = root.relativize(dir.getParent()).toString().replace('\\', '/');
        int slash = repo.indexOf('/');
        Path tags = dir.resolve("tags");
        if (slash > 0 && Files.isDirectory(tags)) {
          try (DirectoryStream<Path> ds = Files.newDirectoryStream(tags)) {
            for (Path f : ds) {
              String name = f.getFileName().toString();
              if (name.startsWith(".")) {
                continue; // an interrupted atomic write
              }
              Tag t = new Tag(repo.substring(0, slash), repo.substring(slash + 1), name);
              TagEntry e = read(f);
              if (e != null && manifestStored.test(e.digest())) {
                remember(t, e.digest());
              } else {
                gone.add(t);
              }
            }
          }
        }
        return FileVisitResult.SKIP_SUBTREE;
      }
    });
    for (Tag t : gone) {
      Files.deleteIfExists(tagFile(t));
      removeRepositoryIfEmpty(t.registry(), t.repository());
    }
    if (!gone.isEmpty()) {
      LOG.info("removed {} tag(s) whose manifest is no longer stored", gone.size());
    }
    removeEmptyRepositories();
    return onDisk.size();
  }

  /** Bytes the tag files and repository directories take, as counted toward the store's size. */
  public long bookkeepingBytes() {
    return (onDisk.size() + (long) DIRECTORIES_PER_REPOSITORY * tagsPerRepository.size()) * BlobIndex.BLOCK;
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
    Tag t = new Tag(registry, repository, tag);
    Path f = tagFile(t);
    e = read(f);
    if (e == null) {
      if (Files.deleteIfExists(f)) { // unreadable: forget it, upstream will be asked again
        forget(t);
      }
      return Optional.empty();
    }
    memory.put(k, e);
    return Optional.of(e);
  }

  /** The tag file's content; null when it is missing or unreadable. */
  private static TagEntry read(Path f) throws IOException {
    String line;
    try {
      line = Files.readString(f, StandardCharsets.UTF_8).trim();
    } catch (NoSuchFileException ex) {
      return null;
    }
    String[] parts = line.split(" ");
    try {
      TagEntry e = new TagEntry(Digest.parse(parts[0]), parts[1], Long.parseLong(parts[2]),
          Long.parseLong(parts[3]));
      return MediaTypes.isValid(e.mediaType()) ? e : null;
    } catch (RuntimeException ex) {
      return null;
    }
  }

  public void put(String registry, String repository, String tag, TagEntry e) throws IOException {
    String line = e.digest() + " " + e.mediaType() + " " + e.size() + " " + e.checkedAtMillis() + "\n";
    Tag t = new Tag(registry, repository, tag);
    synchronized (layout) {
      AtomicFiles.write(tagFile(t), line.getBytes(StandardCharsets.UTF_8));
      remember(t, e.digest());
    }
    memory.put(key(registry, repository, tag), e);
  }

  private void remember(Tag t, Digest d) {
    if (onDisk.put(t, d) == null) {
      tagsPerRepository.merge(t.repositoryKey(), 1, Integer::sum);
    }
  }

  /** Drops a tag from the books; true when it was the repository's last. */
  private boolean forget(Tag t) {
    memory.remove(key(t.registry(), t.repository(), t.tag()));
    if (onDisk.remove(t) == null) {
      return false;
    }
    return tagsPerRepository.computeIfPresent(t.repositoryKey(), (k, n) -> n > 1 ? n - 1 : null) == null;
  }

  /**
   * The manifests were evicted: their tags go (each checked on disk first, in case it moved to
   * another manifest meanwhile), and with a repository's last tag its directories.
   */
  public void manifestsGone(Collection<Digest> manifests) {
    if (manifests.isEmpty()) {
      return;
    }
    for (Map.Entry<Tag, Digest> e : onDisk.entrySet()) {
      if (!manifests.contains(e.getValue())) {
        continue;
      }
      Tag t = e.getKey();
      synchronized (layout) {
        try {
          TagEntry now = read(tagFile(t));
          if (now != null && !manifests.contains(now.digest())) {
            remember(t, now.digest()); // rewritten meanwhile: it stays
            continue;
          }
          Files.deleteIfExists(tagFile(t));
          if (forget(t)) {
            removeRepositoryIfEmpty(t.registry(), t.repository());
          }
        } catch (IOException ex) {
          LOG.warn("could not collect tag {}/{}:{}: {}", t.registry(), t.repository(), t.tag(), ex.toString());
        }
      }
    }
  }

  /** Deletes a repository's directories, and parents left empty, if it has no tag left. */
  private void removeRepositoryIfEmpty(String registry, String repository) throws IOException {
    Path manifests = repoDir(registry, repository);
    for (Path dir = manifests.resolve("tags"); dir != null && dir.startsWith(root) && !dir.equals(root);
        dir = dir.getParent()) {
      try {
        Files.deleteIfExists(dir);
      } catch (DirectoryNotEmptyException stillUsed) {
        return;
      }
    }
  }

  /** Repositories left without tags (by older versions, or pulled by digest only) go too. */
  private void removeEmptyRepositories() throws IOException {
    List<Path> empty = new ArrayList<>();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
        if (dir.getFileName().toString().equals(MANIFESTS_DIR)) {
          String repo = root.relativize(dir.getParent()).toString().replace('\\', '/');
          if (!tagsPerRepository.containsKey(repo)) {
            empty.add(dir.getParent());
          }
          return FileVisitResult.SKIP_SUBTREE;
        }
        return FileVisitResult.CONTINUE;
      }
    });
    for (Path repo : empty) {
      String name = root.relativize(repo).toString().replace('\\', '/');
      int slash = name.indexOf('/');
      if (slash > 0) {
        removeRepositoryIfEmpty(name.substring(0, slash), name.substring(slash + 1));
      }
    }
  }

  /**
   * Kept for callers that record a repository when a manifest of it is stored; the catalog
   * lists repositories by their tags, so there is nothing to record.
   */
  public void markRepository(String registry, String repository) {
    // nothing: a repository appears in the catalog with its first tag
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

  /**
   * The repositories that can be served, as {@code REGISTRY/REPO}, sorted: those with at least
   * one tag whose manifest is stored (as the predicate given to {@link #rebuild} says). From
   * memory: touches no disk.
   */
  public List<String> repositories() {
    TreeSet<String> out = new TreeSet<>();
    for (Map.Entry<Tag, Digest> e : onDisk.entrySet()) {
      if (manifestStored.test(e.getValue())) {
        out.add(e.getKey().repositoryKey());
      }
    }
    return new ArrayList<>(out);
  }
}
