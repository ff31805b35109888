package dev.registrycache.upstream;

import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bearer tokens per registry and scope, kept until shortly before they expire. Tokens without
 * {@code expires_in} are kept for 60 s, the spec's default.
 */
public final class TokenCache {
  static final long DEFAULT_LIFETIME_SECONDS = 60;
  /** Tokens are dropped this long before their stated expiry, to allow for clock skew. */
  static final long SAFETY_MARGIN_MS = 10_000;

  private record Token(String value, long expiresAtMillis) {}

  private final ConcurrentHashMap<String, Token> tokens = new ConcurrentHashMap<>();
  private final Clock clock;

  public TokenCache(Clock clock) {
    this.clock = clock;
  }

  private static String key(String registry, String scope) {
    return registry + ' ' + scope;
  }

  public String get(String registry, String scope) {
    Token t = tokens.get(key(registry, scope));
    if (t == null) {
      return null;
    }
    if (clock.millis() >= t.expiresAtMillis) {
      tokens.remove(key(registry, scope), t);
      return null;
    }
    return t.value;
  }

  public void put(String registry, String scope, String token, long expiresInSeconds) {
    long life = expiresInSeconds > 0 ? expiresInSeconds : DEFAULT_LIFETIME_SECONDS;
    long margin = Math.min(SAFETY_MARGIN_MS, life * 1000 / 4);
    tokens.put(key(registry, scope), new Token(token, clock.millis() + life * 1000 - margin));
  }

  public void invalidate(String registry, String scope) {
    tokens.remove(key(registry, scope));
  }
}
