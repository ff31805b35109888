package dev.registrycache.operator;

import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Map;

/**
 * The token the caches of one RegistryCache share to use each other's peer endpoints: random, in
 * the RegistryCache's credentials Secret ({@code peer.token}), replaced every
 * {@link #ROTATION}; the one it replaced stays as {@code peer.previous} until the next rotation,
 * since the kubelet hands the new Secret to each node at its own moment and caches must keep
 * accepting each other meanwhile. When it was last replaced is an annotation of the Secret.
 *
 * @param rotatedAt when {@code token} was made
 */
public record PeerTokens(String token, String previous, Instant rotatedAt) {
  public static final String TOKEN = "peer.token";
  public static final String PREVIOUS = "peer.previous";
  public static final String ROTATED_AT = "registrycache.dev/peer-token-rotated";
  static final Duration ROTATION = Duration.ofDays(7);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** What the Secret should hold next, from what it holds now (null: there is none yet). */
  static PeerTokens next(Secret current, Instant now) {
    String token = value(current, TOKEN);
    String previous = value(current, PREVIOUS);
    Instant at = rotatedAt(current);
    if (token == null || at == null) {
      return new PeerTokens(fresh(), null, now);
    }
    if (!at.plus(ROTATION).isAfter(now)) {
      return new PeerTokens(fresh(), token, now);
    }
    return new PeerTokens(token, previous, at);
  }

  /** The Secret's keys and values (the previous token only while there is one). */
  Map<String, String> data() {
    return previous == null ? Map.of(TOKEN, token) : Map.of(TOKEN, token, PREVIOUS, previous);
  }

  static String fresh() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static String value(Secret s, String key) {
    if (s == null || s.getData() == null || s.getData().get(key) == null) {
      return null;
    }
    String v = new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8);
    return v.isBlank() ? null : v;
  }

  private static Instant rotatedAt(Secret s) {
    String v = s == null || s.getMetadata().getAnnotations() == null ? null
        : s.getMetadata().getAnnotations().get(ROTATED_AT);
    try {
      return v == null ? null : Instant.parse(v);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** The token is never printed. */
  @Override
  public String toString() {
    return "PeerTokens[rotatedAt=" + rotatedAt + "]";
  }
}
