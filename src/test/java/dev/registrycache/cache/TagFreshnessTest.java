package dev.registrycache.cache;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TagFreshnessTest {
  private static final long TTL = 300_000;
  private static final long NOW = 1_800_000_000_000L;

  @Test
  void aTagIsTrustedForItsTtlAfterTheCheck() {
    assertTrue(ManifestService.fresh(NOW, NOW, TTL));
    assertTrue(ManifestService.fresh(NOW - TTL + 1, NOW, TTL));
    assertFalse(ManifestService.fresh(NOW - TTL, NOW, TTL));
  }

  @Test
  void aCheckTimeInTheFutureIsExpired() {
    assertFalse(ManifestService.fresh(NOW + 1, NOW, TTL));
    assertFalse(ManifestService.fresh(NOW + 86_400_000L, NOW, TTL));
  }
}
