package dev.registrycache.node;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

/**
 * Golden directory trees under {@code src/test/resources/node/<case>/<part>/}. git keeps no empty
 * directories, so a golden directory that must exist empty holds a {@value #EMPTY_DIR_MARKER} file,
 * which is never copied and never compared.
 */
final class GoldenTree {
  static final String EMPTY_DIR_MARKER = ".keep-empty-dir";

  private GoldenTree() {}

  static Path resource(String caseName, String part) {
    URL url = GoldenTree.class.getResource("/node/" + caseName + "/" + part);
    if (url == null) {
      throw new IllegalStateException("missing golden directory node/" + caseName + "/" + part);
    }
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s.sorted()::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else if (!p.getFileName().toString().equals(EMPTY_DIR_MARKER)) {
          Files.copy(p, target);
        }
      }
    }
  }

  /** Every directory and file below {@code root} with the file contents, as one comparable text. */
  static String snapshot(Path root) throws IOException {
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s.sorted()::iterator) {
        if (p.equals(root) || p.getFileName().toString().equals(EMPTY_DIR_MARKER)) {
          continue;
        }
        String rel = root.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          sb.append("== link ").append(rel).append(" -> ").append(Files.readSymbolicLink(p)).append('\n');
        } else if (Files.isDirectory(p)) {
          sb.append("== dir  ").append(rel).append("/\n");
        } else {
          sb.append("== file ").append(rel).append('\n');
          sb.append(new String(Files.readAllBytes(p), ISO_8859_1)).append("== end\n");
        }
      }
    }
    return sb.toString();
  }

  /** Mode and modification time of every regular file (directories change when entries do). */
  static String fileAttributes(Path root) throws IOException {
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s.sorted()::iterator) {
        if (Files.isRegularFile(p, NOFOLLOW_LINKS)) {
          sb.append(root.relativize(p)).append(' ')
              .append(PosixFilePermissions.toString(Files.getPosixFilePermissions(p, NOFOLLOW_LINKS))).append(' ')
              .append(Files.getLastModifiedTime(p, NOFOLLOW_LINKS).toMillis()).append('\n');
        }
      }
    }
    return sb.toString();
  }

  static void assertMatches(String caseName, String part, Path actualRoot) throws IOException {
    Path expected = resource(caseName, part);
    if (Boolean.getBoolean("registrycache.updateGoldens")) {
      update(expected, actualRoot);
    }
    assertEquals(snapshot(expected), snapshot(actualRoot), caseName + "/" + part + " differs");
  }

  /**
   * Rewrites a golden directory from an actual tree (run once with
   * {@code -Dregistrycache.updateGoldens=true} after an intended change, then review the diff).
   */
  private static void update(Path targetClassesCopy, Path actualRoot) throws IOException {
    Path source = Path.of("src/test/resources").resolve(
        Path.of("target/test-classes").toAbsolutePath().relativize(targetClassesCopy.toAbsolutePath()).toString());
    for (Path dir : List.of(source, targetClassesCopy)) {
      deleteTree(dir);
      copy(actualRoot, dir);
      markEmptyDirectories(dir);
    }
  }

  private static void markEmptyDirectories(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (Files.isDirectory(p)) {
          try (Stream<Path> entries = Files.list(p)) {
            if (entries.findAny().isEmpty()) {
              Files.createFile(p.resolve(EMPTY_DIR_MARKER));
            }
          }
        }
      }
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted((a, b) -> b.compareTo(a)).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }
}
