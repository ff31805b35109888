package dev.registrycache.files;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir
  Path dir;

  private List<String> names(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writeReplacesTheFileCreatesParentsAndLeavesNothingElse() throws IOException {
    Path target = dir.resolve("a/b/tag");
    AtomicFiles.write(target, "one".getBytes(UTF_8));
    AtomicFiles.write(target, "two".getBytes(UTF_8));
    assertEquals("two", Files.readString(target));
    assertEquals(List.of("tag"), names(target.getParent()));
  }

  @Test
  void aFailedWriteLeavesTheTargetAndNoTemporaryFile() throws IOException {
    Path target = dir.resolve("busy");
    Files.createDirectories(target.resolve("child"));
    assertThrows(IOException.class, () -> AtomicFiles.write(target, "x".getBytes(UTF_8)));
    assertThrows(IOException.class,
        () -> AtomicFiles.writeDurably(target, "x".getBytes(UTF_8), PosixFilePermissions.fromString("rw-r--r--")));
    assertTrue(Files.isDirectory(target.resolve("child")));
    assertEquals(List.of("busy"), names(dir));
  }

  @Test
  void durableWriteSetsTheModeBeforeTheFileAppears() throws IOException {
    Path target = dir.resolve("hosts.toml");
    Files.writeString(target, "old");
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxrwxrwx"));
    AtomicFiles.writeDurably(target, "new".getBytes(UTF_8), PosixFilePermissions.fromString("rw-r-----"));
    assertArrayEquals("new".getBytes(UTF_8), Files.readAllBytes(target));
    assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
  }

  @Test
  void copyKeepsModeTimesAndLinks() throws IOException {
    Path source = dir.resolve("admin.toml");
    Files.writeString(source, "server = \"x\"\n");
    Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rw-------"));
    FileTime old = FileTime.fromMillis(1_600_000_000_000L);
    Files.setLastModifiedTime(source, old);
    Path copy = dir.resolve("backup.toml");
    Files.writeString(copy, "to be replaced");
    AtomicFiles.copyDurably(source, copy);
    assertEquals("server = \"x\"\n", Files.readString(copy));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(copy)));
    assertEquals(old, Files.getLastModifiedTime(copy));

    Path link = dir.resolve("link");
    Files.createSymbolicLink(link, Path.of("elsewhere"));
    AtomicFiles.copyDurably(link, dir.resolve("link-copy"));
    assertEquals(Path.of("elsewhere"), Files.readSymbolicLink(dir.resolve("link-copy")));
  }

  @Test
  void staleTemporariesOfOneNameAreRemovedAndNothingElse() throws IOException {
    for (String n : List.of(".hosts.toml.5f3a." + "registry-cache.tmp", ".other.1.registry-cache.tmp", "hosts.toml",
        ".hosts.toml.swp")) {
      Files.writeString(dir.resolve(n), "");
    }
    AtomicFiles.removeStaleTemporaries(dir, "hosts.toml");
    assertEquals(List.of(".hosts.toml.swp", ".other.1.registry-cache.tmp", "hosts.toml"), names(dir));
    AtomicFiles.removeStaleTemporaries(dir.resolve("missing"), "hosts.toml");
  }
}
