package dev.registrycache.metrics;

import java.util.Optional;

/** The token of an {@code Authorization: Bearer ...} header (RFC 6750), nothing else: no I/O. */
public final class BearerToken {
  /** Longer than any token the API server issues (a bound ServiceAccount token is about 1 KiB). */
  static final int MAX_LENGTH = 16 * 1024;

  private BearerToken() {}

  /** The token, or empty for a missing header, another scheme, an empty or oversized token. */
  public static Optional<String> of(String authorization) {
    if (authorization == null) {
      return Optional.empty();
    }
    String h = authorization.strip();
    if (h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.empty();
    }
    String token = h.substring(7).strip();
    if (token.isEmpty() || token.length() > MAX_LENGTH || token.chars().anyMatch(c -> c <= ' ' || c > '~')) {
      return Optional.empty();
    }
    return Optional.of(token);
  }
}
