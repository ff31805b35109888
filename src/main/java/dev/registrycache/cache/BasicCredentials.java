package dev.registrycache.cache;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A client's {@code Authorization: Basic} credentials (RFC 7617), as a container runtime sends
 * them after a {@code 401} with a Basic challenge. Never printed: {@link #toString()} leaves the
 * password out.
 */
public record BasicCredentials(String user, String password) {
  /** Longest header value taken (a registry token as password is a few KiB). */
  static final int MAX_HEADER_CHARS = 16 * 1024;

  /** The credentials in an {@code Authorization} header value, or null when it holds no usable Basic ones. */
  public static BasicCredentials parse(String authorization) {
    if (authorization == null || authorization.length() > MAX_HEADER_CHARS
        || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(authorization.substring(6).strip()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
    int colon = decoded.indexOf(':');
    if (colon <= 0 || colon == decoded.length() - 1) {
      return null; // a user and a password, both, or nothing to check upstream
    }
    String user = decoded.substring(0, colon);
    String password = decoded.substring(colon + 1);
    if (user.chars().anyMatch(Character::isISOControl) || password.chars().anyMatch(Character::isISOControl)) {
      return null;
    }
    return new BasicCredentials(user, password);
  }

  @Override
  public String toString() {
    return "BasicCredentials[user=" + user + ", password=<redacted>]";
  }
}
