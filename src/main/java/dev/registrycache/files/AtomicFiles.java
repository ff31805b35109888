package dev.registrycache.files;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardCopyOption.COPY_ATTRIBUTES;
import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Files replaced atomically: the new content goes to a hidden temporary file beside the target
 * ({@code .NAME.RANDOM.registry-cache.tmp}) and is renamed over it, so a reader sees the old or
 * the new file, never a part. A failed write leaves no temporary file behind; one left by a
 * process killed between write and rename is removed by {@link #removeStaleTemporaries}.
 */
public final class AtomicFiles {
  /** Every temporary file ends with this; a name starting with '.' keeps listings clean. */
  public static final String TEMP_SUFFIX = ".registry-cache.tmp";

  private AtomicFiles() {}

  /**
   * Replaces {@code target} with {@code content}, creating missing parent directories. Not
   * fsynced: after a crash the file may be old or empty, never a mix (for data that can be
   * fetched again).
   */
  public static void write(Path target, byte[] content) throws IOException {
    Files.createDirectories(target.getParent());
    write(target, content, false, null);
  }

  /**
   * Replaces {@code target} with {@code content} durably: the file is fsynced before the rename
   * and its directory after it. The directory must exist. {@code mode} (or {@code null} for the
   * umask default) is set before the file becomes visible.
   */
  public static void writeDurably(Path target, byte[] content, Set<PosixFilePermission> mode) throws IOException {
    write(target, content, true, mode);
    syncDirectory(target.getParent());
  }

  /**
   * Copies {@code source} (a regular file or a symbolic link, with its mode and times) over
   * {@code target} durably.
   */
  public static void copyDurably(Path source, Path target) throws IOException {
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

  /** fsync of a directory, so that renames and deletions in it survive a crash; best effort. */
  public static void syncDirectory(Path dir) {
    if (dir == null || !Files.isDirectory(dir)) {
      return;
    }
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some file systems refuse fsync on a directory; the rename itself already happened.
    }
  }

  /** Deletes the temporary files of {@code targetName} in {@code dir} (left by a killed process). */
  public static void removeStaleTemporaries(Path dir, String targetName) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "." + targetName + ".*" + TEMP_SUFFIX)) {
      for (Path p : entries) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static void write(Path target, byte[] content, boolean sync, Set<PosixFilePermission> mode)
      throws IOException {
    Path tmp = tempPath(target);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        if (sync) {
          ch.force(true);
        }
      }
      if (mode != null) {
        Files.setPosixFilePermissions(tmp, mode);
      }
      try {
        Files.move(tmp, target, ATOMIC_MOVE, REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, REPLACE_EXISTING);
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
  }

  private static Path tempPath(Path target) {
    return target.resolveSibling("." + target.getFileName() + "."
        + Long.toHexString(ThreadLocalRandom.current().nextLong()) + TEMP_SUFFIX);
  }
}
