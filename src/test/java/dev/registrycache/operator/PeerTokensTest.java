package dev.registrycache.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The caches' shared token: made once, kept, replaced weekly with the old one still accepted for a while. */
class PeerTokensTest {
  private static final Instant T0 = Instant.parse("2026-06-01T00:00:00Z");

  private static Secret holding(PeerTokens t) {
    Map<String, String> data = new HashMap<>();
    t.data().forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    return new SecretBuilder().withNewMetadata().withName("s").addToAnnotations(PeerTokens.ROTATED_AT,
        t.rotatedAt().toString()).endMetadata().withData(data).build();
  }

  @Test
  void madeOnceThenKept() {
    PeerTokens first = PeerTokens.next(null, T0);
    assertTrue(first.token().length() >= 40, "32 random bytes");
    assertNull(first.previous());
    PeerTokens again = PeerTokens.next(holding(first), T0.plus(Duration.ofDays(3)));
    assertEquals(first.token(), again.token());
    assertEquals(first.rotatedAt(), again.rotatedAt());
    assertNotEquals(first.token(), PeerTokens.next(null, T0).token(), "random");
  }

  @Test
  void replacedAfterAWeekWithTheOldOneStillAccepted() {
    PeerTokens first = PeerTokens.next(null, T0);
    Instant later = T0.plus(PeerTokens.ROTATION).plusSeconds(1);
    PeerTokens rotated = PeerTokens.next(holding(first), later);
    assertNotEquals(first.token(), rotated.token());
    assertEquals(first.token(), rotated.previous());
    assertEquals(later, rotated.rotatedAt());
    PeerTokens twice = PeerTokens.next(holding(rotated), later.plus(PeerTokens.ROTATION).plusSeconds(1));
    assertEquals(rotated.token(), twice.previous(), "only the one before is still accepted");
    assertTrue(!twice.toString().contains(twice.token()), "never printed");
  }
}
