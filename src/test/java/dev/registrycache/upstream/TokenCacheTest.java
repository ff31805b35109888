package dev.registrycache.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class TokenCacheTest {
  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void tokensArePerRegistryAndScopeAndExpire() {
    ManualClock clock = new ManualClock();
    TokenCache c = new TokenCache(clock);
    c.put("docker.io", "repository:library/a:pull", "t1", 300);
    assertEquals("t1", c.get("docker.io", "repository:library/a:pull"));
    assertNull(c.get("docker.io", "repository:library/b:pull"));
    assertNull(c.get("quay.io", "repository:library/a:pull"));
    clock.now = clock.now.plus(Duration.ofSeconds(289));
    assertEquals("t1", c.get("docker.io", "repository:library/a:pull"));
    clock.now = clock.now.plus(Duration.ofSeconds(2)); // within the 10 s safety margin
    assertNull(c.get("docker.io", "repository:library/a:pull"));
  }

  @Test
  void defaultLifetimeWithoutExpiresIn() {
    ManualClock clock = new ManualClock();
    TokenCache c = new TokenCache(clock);
    c.put("r", "s", "t", 0);
    clock.now = clock.now.plusSeconds(49);
    assertEquals("t", c.get("r", "s"));
    clock.now = clock.now.plusSeconds(2);
    assertNull(c.get("r", "s"));
  }

  @Test
  void invalidate() {
    TokenCache c = new TokenCache(new ManualClock());
    c.put("r", "s", "t", 100);
    c.invalidate("r", "s");
    assertNull(c.get("r", "s"));
  }

  @Test
  void boundedInCountAndExpiredOnesGoFirst() {
    ManualClock clock = new ManualClock();
    TokenCache c = new TokenCache(clock);
    for (int i = 0; i < TokenCache.MAX_TOKENS * 3; i++) {
      c.put("docker.io", "repository:r" + i + ":pull", "t" + i, 300);
    }
    assertEquals(TokenCache.MAX_TOKENS, c.size());
    assertEquals("t" + (TokenCache.MAX_TOKENS * 3 - 1), c.get("docker.io", "repository:r" + (TokenCache.MAX_TOKENS * 3 - 1) + ":pull"));
    assertNull(c.get("docker.io", "repository:r0:pull"), "the oldest was dropped");
    clock.now = clock.now.plus(Duration.ofMinutes(10));
    c.put("docker.io", "repository:new:pull", "n", 300);
    assertEquals(1, c.size(), "expired tokens are purged when the cache fills");
  }
}
