package dev.registrycache.node;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Asks a running CRI-O to re-read containers-registries.conf by sending it SIGHUP, which CRI-O
 * documents as a live reload (it does not restart anything). The {@code crio} process is found in
 * {@code /proc} by its command name, so the pod needs the host PID namespace ({@code hostPID: true});
 * without it no process is found and nothing is signalled.
 *
 * <p>Without a reload CRI-O keeps the registry configuration it loaded until it is restarted or
 * reloaded, unless it runs with {@code auto_reload_registries = true}; podman, skopeo and buildah
 * read the files on every command.
 */
public final class CrioReloader {
  /** Sends SIGHUP to one process. */
  @FunctionalInterface
  public interface Signaller {
    void hangUp(long pid) throws IOException;
  }

  /** What a reload attempt did, as a log line. */
  public record Result(List<Long> signalled, String message) {
    public boolean reloaded() {
      return !signalled.isEmpty();
    }
  }

  private final Path procRoot;
  private final Signaller signaller;

  public CrioReloader(Path procRoot, Signaller signaller) {
    this.procRoot = procRoot;
    this.signaller = signaller;
  }

  /** Uses {@code /proc} and the {@code kill} command. */
  public static CrioReloader forThisHost() {
    return new CrioReloader(Path.of("/proc"), CrioReloader::killHup);
  }

  /** Never throws: a failed reload is reported in the result. */
  public Result reload() {
    List<Long> pids;
    try {
      pids = findCrio();
    } catch (IOException e) {
      return new Result(List.of(), "CRI-O not reloaded: cannot read " + procRoot + ": " + e.getMessage());
    }
    if (pids.isEmpty()) {
      return new Result(List.of(), "CRI-O not reloaded: no crio process in " + procRoot
          + " (the pod needs hostPID: true); it uses the new registries after its next restart or reload");
    }
    List<Long> done = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    for (long pid : pids) {
      try {
        signaller.hangUp(pid);
        done.add(pid);
      } catch (IOException e) {
        errors.add("pid " + pid + ": " + e.getMessage());
      }
    }
    String msg = done.isEmpty()
        ? "CRI-O not reloaded: " + String.join("; ", errors)
        : "sent SIGHUP to crio (pid " + done.stream().map(String::valueOf).reduce((a, b) -> a + ", " + b).orElse("")
            + ") to reload its registries" + (errors.isEmpty() ? "" : "; failed for " + String.join("; ", errors));
    return new Result(List.copyOf(done), msg);
  }

  /** Process ids whose command name ({@code /proc/<pid>/comm}) is exactly {@code crio}. */
  List<Long> findCrio() throws IOException {
    List<Long> out = new ArrayList<>();
    try (Stream<Path> entries = Files.list(procRoot)) {
      for (Path p : (Iterable<Path>) entries::iterator) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          if ("crio".equals(Files.readString(p.resolve("comm"), UTF_8).strip())) {
            out.add(Long.parseLong(name));
          }
        } catch (IOException e) {
          // The process ended while we looked, or we may not read it: not CRI-O for our purpose.
        }
      }
    }
    out.sort(null);
    return out;
  }

  /** With the shell's kill: the image has no procps, and Java can send a process only SIGTERM or SIGKILL. */
  private static void killHup(long pid) throws IOException {
    Process p = new ProcessBuilder("/bin/sh", "-c", "kill -HUP \"$1\"", "sh", Long.toString(pid))
        .redirectErrorStream(true).start();
    try {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("kill -HUP " + pid + " did not finish within 5 s");
      }
      if (p.exitValue() != 0) {
        throw new IOException("kill -HUP " + pid + " failed: " + new String(p.getInputStream().readAllBytes(), UTF_8).strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while signalling " + pid, e);
    }
  }
}
