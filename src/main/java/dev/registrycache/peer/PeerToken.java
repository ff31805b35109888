package dev.registrycache.peer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The credential only the caches of one RegistryCache share: a random token the operator keeps
 * in a Secret (and, after a rotation, the one before it too), mounted in every cache pod. A cache sends the current token to its peers and accepts the current and the
 * previous one, so a rotation, which the kubelet delivers to each node at its own moment, never
 * locks two nodes out of each other. The files are read again at most every few seconds.
 */
public final class PeerToken {
  static final Duration REREAD = Duration.ofSeconds(5);
  private final Path tokenFile;
  private final Path previousFile;
  private final Clock clock;
  private volatile Snapshot snapshot = new Snapshot(List.of(), Instant.MIN);

  private record Snapshot(List<byte[]> accepted, Instant readAt) {}

  /**
   * @param tokenFile the current token (in the mounted Secret)
   * @param previousFile the one before, while it is still accepted; may be null or missing
   */
  public PeerToken(Path tokenFile, Path previousFile, Clock clock) {
    this.tokenFile = tokenFile;
    this.previousFile = previousFile;
    this.clock = clock;
  }

  /** The token to send, or {@code null} when there is none (the peer endpoint is then off). */
  public String current() {
    List<byte[]> a = fresh().accepted();
    return a.isEmpty() ? null : new String(a.get(0), StandardCharsets.US_ASCII);
  }

  /** Whether an {@code Authorization} header value carries an accepted token (compared in constant time). */
  public boolean accepts(String authorization) {
    if (authorization == null || !authorization.startsWith("Bearer ")) {
      return false;
    }
    byte[] given = authorization.substring(7).strip().getBytes(StandardCharsets.US_ASCII);
    boolean ok = false;
    for (byte[] t : fresh().accepted()) {
      ok |= t.length > 0 && MessageDigest.isEqual(t, given);
    }
    return ok;
  }

  private Snapshot fresh() {
    Snapshot s = snapshot;
    Instant now = clock.instant();
    if (s.readAt().plus(REREAD).isAfter(now)) {
      return s;
    }
    List<byte[]> tokens = new ArrayList<>();
    for (Path file : new Path[] {tokenFile, previousFile}) {
      if (file == null) {
        continue;
      }
      try {
        String t = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (!t.isEmpty()) {
          tokens.add(t.getBytes(StandardCharsets.US_ASCII));
        }
      } catch (IOException missing) {
        // no such token (yet): only the others count
      }
    }
    Snapshot next = new Snapshot(List.copyOf(tokens), now);
    snapshot = next;
    return next;
  }
}
