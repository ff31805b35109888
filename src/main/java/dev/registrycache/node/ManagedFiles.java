package dev.registrycache.node;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.registrycache.files.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Set;
import java.util.function.Consumer;

/**
 * File operations for configuration that other programs read while we change it: every file we
 * own starts with {@link #MARKER}; writes and copies go through {@link AtomicFiles} (fsynced,
 * renamed over the target), so a reader sees the old or the new file, never a part. A write
 * whose bytes equal the current file does nothing (the mtime stays).
 */
final class ManagedFiles {
  /** First characters of every file registry-cache writes into runtime configuration. */
  static final String MARKER = "# Managed by registry-cache.";

  private static final byte[] MARKER_BYTES = MARKER.getBytes(UTF_8);
  private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-r--r--");
  private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwxr-xr-x");

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
   * Atomically and durably replaces {@code target} with {@code content} (mode 0644) unless it
   * already holds exactly these bytes. Returns whether the file changed.
   */
  static boolean writeIfChanged(Path target, String content) throws IOException {
    byte[] bytes = content.getBytes(UTF_8);
    if (Files.isRegularFile(target, NOFOLLOW_LINKS) && Arrays.equals(Files.readAllBytes(target), bytes)) {
      return false;
    }
    AtomicFiles.removeStaleTemporaries(target.getParent(), target.getFileName().toString());
    AtomicFiles.writeDurably(target, bytes, FILE_MODE);
    return true;
  }

  /**
   * {@link #writeIfChanged} for a TOML file: the content is parsed first and handed to
   * {@code check}; content that does not parse (or that {@code check} rejects) is a bug in what
   * we render, reported with the file's name, and nothing is written.
   */
  static boolean writeTomlIfChanged(Path target, String content, Consumer<ObjectNode> check) throws IOException {
    ObjectNode parsed;
    try {
      parsed = Toml.parse(content, "the " + target.getFileName() + " registry-cache would write to " + target);
    } catch (Toml.InvalidTomlException e) {
      throw new Toml.InvalidTomlException(e.getMessage() + "; nothing was written", e);
    }
    check.accept(parsed);
    return writeIfChanged(target, content);
  }

  /** Renames {@code source} over {@code target} (same file system), keeping its bytes and mode. */
  static void moveOver(Path source, Path target) throws IOException {
    Files.move(source, target, ATOMIC_MOVE, REPLACE_EXISTING);
    AtomicFiles.syncDirectory(target.getParent());
    AtomicFiles.syncDirectory(source.getParent());
  }

  static void delete(Path file) throws IOException {
    if (Files.deleteIfExists(file)) {
      AtomicFiles.syncDirectory(file.getParent());
    }
  }

  /** Creates one directory level (mode 0755). The parent must exist. */
  static void createDirectory(Path dir) throws IOException {
    Files.createDirectory(dir);
    Files.setPosixFilePermissions(dir, DIR_MODE);
    AtomicFiles.syncDirectory(dir.getParent());
  }

  /** Deletes {@code dir} if it is empty; true when it is gone afterwards. */
  static boolean deleteIfEmpty(Path dir) throws IOException {
    try {
      Files.delete(dir);
      AtomicFiles.syncDirectory(dir.getParent());
      return true;
    } catch (NoSuchFileException e) {
      return true;
    } catch (DirectoryNotEmptyException e) {
      return false;
    }
  }
}
