package dev.registrycache.upstream;

import java.time.Clock;
import dev.registrycache.store.LruMap;

/**
 * Bearer tokens per registry (or redirect host) and scope, kept until shortly before they
 * expire, at most {@link #MAX_TOKENS} of them (least recently used dropped first): scopes come
 * from the repositories clients ask for. Tokens without {@code expires_in} are kept for 60 s,
 * the spec's default.
 */
public final class TokenCache {
  static final long DEFAULT_LIFETIME_SECONDS = 60;
  /** Tokens are dropped this long before their stated expiry, to allow for clock skew. */
  static final long SAFETY_MARGIN_MS = 10_000;

  private record Token(String value, long expiresAtMillis) {}

  static final int MAX_TOKENS = 4096;
  private final LruMap<String, Token> tokens = new LruMap<>(MAX_TOKENS);
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
    long now = clock.millis();
    if (tokens.size() >= MAX_TOKENS / 2) {
      tokens.removeIf((k, t) -> now >= t.expiresAtMillis);
    }
    tokens.put(key(registry, scope), new Token(token, now + life * 1000 - margin));
  }

  public void invalidate(String registry, String scope) {
    String k = key(registry, scope);
    Token t = tokens.get(k);
    if (t != null) {
      tokens.remove(k, t);
    }
  }

  int size() {
    return tokens.size();
  }
}
