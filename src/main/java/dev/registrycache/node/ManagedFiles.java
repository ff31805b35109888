package dev.registrycache.node;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardCopyOption.COPY_ATTRIBUTES;
import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * File operations for configuration that other programs read while we change it: every file we
 * own starts with {@link #MARKER}; writes go to a temporary file in the same directory, are
 * fsynced and renamed over the target, so a reader sees the old or the new file, never a part.
 * A write whose bytes equal the current file does nothing (the mtime stays).
 */
final class ManagedFiles {
  /** First characters of every file registry-cache writes into runtime configuration. */
  static final String MARKER = "# Managed by registry-cache.";

  private static final byte[] MARKER_BYTES = MARKER.getBytes(UTF_8);
  private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-r--r--");
  private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwxr-xr-x");
  private static final String TEMP_SUFFIX = ".registry-cache.tmp";

  private ManagedFiles() {}

  /** True when {@code file} is a regular file (not a link) whose first line is our marker. */
  static boolean isManaged(Path file) throws IOException {
    if (!Files.isRegularFile(file, NOFOLLOW_LINKS)) {
      return false;
    }
    try (InputStream in = Files.newInputStream(file, NOFOLLOW_LINKS)) {
      return Arrays.equals(in.readNBytes(MARKER_BYTES.length), MARKER_BYTES);
    }
  }

  /** True when something (file, directory or link, even a dangling one) is at {@code path}. */
  static boolean present(Path path) {
    return Files.exists(path, NOFOLLOW_LINKS);
  }

  /**
   * Atomically replaces {@code target} with {@code content} unless it already holds exactly
   * these bytes. Returns whether the file changed.
   */
  static boolean writeIfChanged(Path target, String content) throws IOException {
    byte[] bytes = content.getBytes(UTF_8);
    if (Files.isRegularFile(target, NOFOLLOW_LINKS) && Arrays.equals(Files.readAllBytes(target), bytes)) {
      return false;
    }
    Path dir = target.getParent();
    removeStaleTemporaries(dir, target.getFileName().toString());
    Path tmp = tempPath(target);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.setPosixFilePermissions(tmp, FILE_MODE);
      Files.move(tmp, target, ATOMIC_MOVE, REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    syncDirectory(dir);
    return true;
  }

  /**
   * Copies {@code source} (a file or a symbolic link, with its mode and times) to {@code target}
   * atomically, replacing what is there.
   */
  static void copyPreserving(Path source, Path target) throws IOException {
    Path tmp = tempPath(target);
    try {
      Files.copy(source, tmp, COPY_ATTRIBUTES, NOFOLLOW_LINKS);
      if (Files.isRegularFile(tmp, NOFOLLOW_LINKS)) {
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
          ch.force(true);
        }
      }
      Files.move(tmp, target, ATOMIC_MOVE, REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    syncDirectory(target.getParent());
  }

  /** Renames {@code source} over {@code target} (same file system), keeping its bytes and mode. */
  static void moveOver(Path source, Path target) throws IOException {
    Files.move(source, target, ATOMIC_MOVE, REPLACE_EXISTING);
    syncDirectory(target.getParent());
    syncDirectory(source.getParent());
  }

  static void delete(Path file) throws IOException {
    if (Files.deleteIfExists(file)) {
      syncDirectory(file.getParent());
    }
  }

  /** Creates one directory level (mode 0755). The parent must exist. */
  static void createDirectory(Path dir) throws IOException {
    Files.createDirectory(dir);
    Files.setPosixFilePermissions(dir, DIR_MODE);
    syncDirectory(dir.getParent());
  }

  /** Deletes {@code dir} if it is empty; true when it is gone afterwards. */
  static boolean deleteIfEmpty(Path dir) throws IOException {
    try {
      Files.delete(dir);
      syncDirectory(dir.getParent());
      return true;
    } catch (NoSuchFileException e) {
      return true;
    } catch (DirectoryNotEmptyException e) {
      return false;
    }
  }

  static void syncDirectory(Path dir) throws IOException {
    if (dir == null || !Files.isDirectory(dir)) {
      return;
    }
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some file systems refuse fsync on a directory; the rename itself already happened.
    }
  }

  private static Path tempPath(Path target) {
    String name = "." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong())
        + TEMP_SUFFIX;
    return target.resolveSibling(name);
  }

  /** Temporary files left behind by a process that was killed between write and rename. */
  static void removeStaleTemporaries(Path dir, String targetName) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "." + targetName + ".*" + TEMP_SUFFIX)) {
      for (Path p : entries) {
        Files.deleteIfExists(p);
      }
    }
  }
}
