package dev.registrycache.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CrioReloaderTest {
  @TempDir
  Path proc;

  private void process(String pid, String comm) throws IOException {
    Files.createDirectories(proc.resolve(pid));
    Files.writeString(proc.resolve(pid).resolve("comm"), comm + "\n");
  }

  @Test
  void signalsOnlyTheCrioProcess() throws IOException {
    process("1", "systemd");
    process("812", "crio");
    process("900", "crio-wipe");
    process("901", "conmon");
    Files.createDirectories(proc.resolve("self"));
    Files.createDirectories(proc.resolve("77"));
    List<Long> signalled = new ArrayList<>();
    CrioReloader.Result r = new CrioReloader(proc, signalled::add).reload();
    assertEquals(List.of(812L), signalled);
    assertTrue(r.reloaded());
    assertTrue(r.message().contains("812"), r.message());
  }

  @Test
  void noCrioVisibleExplainsHostPid() throws IOException {
    process("1", "registry-cache");
    CrioReloader.Result r = new CrioReloader(proc, pid -> {
      throw new AssertionError("must not signal");
    }).reload();
    assertFalse(r.reloaded());
    assertTrue(r.message().contains("hostPID"), r.message());
  }

  @Test
  void failedSignalIsReportedNotThrown() throws IOException {
    process("812", "crio");
    CrioReloader.Result r = new CrioReloader(proc, pid -> {
      throw new IOException("Operation not permitted");
    }).reload();
    assertFalse(r.reloaded());
    assertTrue(r.message().contains("Operation not permitted"), r.message());
  }

  @Test
  void unreadableProcIsReported() {
    CrioReloader.Result r = new CrioReloader(proc.resolve("missing"), pid -> { }).reload();
    assertFalse(r.reloaded());
  }
}
