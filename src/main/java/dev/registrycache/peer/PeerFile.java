package dev.registrycache.peer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Peers listed in a file instead of discovered from Kubernetes: for caches that are not pods
 * (several machines, or processes simulating nodes), one peer a line, {@code name host:port
 * [zone]}, {@code #} comments. The file is read again when it changed; a file that cannot be
 * read or parsed leaves the last list in place.
 */
public final class PeerFile implements Runnable {
  private final Path file;
  private final Consumer<List<Peer>> to;
  private long lastModified = Long.MIN_VALUE;

  public PeerFile(Path file, Consumer<List<Peer>> to) {
    this.file = file;
    this.to = to;
  }

  /** Reads the file if it changed since the last call (run it periodically). */
  @Override
  public synchronized void run() {
    try {
      long m = Files.getLastModifiedTime(file).toMillis();
      if (m == lastModified) {
        return;
      }
      List<Peer> peers = parse(Files.readAllLines(file));
      lastModified = m;
      to.accept(peers);
    } catch (IOException | IllegalArgumentException e) {
      // the last list stays
    }
  }

  static List<Peer> parse(List<String> lines) {
    List<Peer> out = new ArrayList<>();
    for (String raw : lines) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\\s+");
      int colon = f.length < 2 ? -1 : f[1].lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("not 'name host:port [zone]': " + line);
      }
      String host = f[1].substring(0, colon).replace("[", "").replace("]", "");
      out.add(new Peer(f[0], host, Integer.parseInt(f[1].substring(colon + 1)), f.length > 2 ? f[2] : ""));
    }
    return out;
  }
}
