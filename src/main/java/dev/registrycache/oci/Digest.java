package dev.registrycache.oci;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A content digest such as {@code sha256:0123...}: algorithm plus lowercase hex, validated
 * against the OCI image-spec grammar (sha256 and sha512 are the registered algorithms).
 */
public record Digest(String algorithm, String hex) {
  public Digest {
    int len = switch (algorithm) {
      case "sha256" -> 64;
      case "sha512" -> 128;
      default -> throw new IllegalArgumentException("unsupported digest algorithm: " + algorithm);
    };
    if (!isLowerHex(hex, len)) {
      throw new IllegalArgumentException("invalid " + algorithm + " digest: " + hex);
    }
  }

  private static boolean isLowerHex(String s, int len) {
    if (s.length() != len) {
      return false;
    }
    for (int i = 0; i < len; i++) {
      char c = s.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }

  /** Parses {@code alg:hex}; throws {@link IllegalArgumentException} when invalid. */
  public static Digest parse(String s) {
    int colon = s.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("invalid digest: " + s);
    }
    return new Digest(s.substring(0, colon), s.substring(colon + 1));
  }

  public static boolean looksLikeDigest(String reference) {
    return reference.indexOf(':') > 0;
  }

  public static Digest sha256Of(byte[] data) {
    return of("sha256", data);
  }

  /** The digest of {@code data} with {@code algorithm} ({@code sha256} or {@code sha512}). */
  public static Digest of(String algorithm, byte[] data) {
    return new Digest(algorithm, HexFormat.of().formatHex(newMessageDigest(algorithm).digest(data)));
  }

  public MessageDigest newMessageDigest() {
    return newMessageDigest(algorithm);
  }

  public boolean matches(MessageDigest finished) {
    return hex.equals(HexFormat.of().formatHex(finished.digest()));
  }

  private static MessageDigest newMessageDigest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm.equals("sha256") ? "SHA-256" : "SHA-512");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return algorithm + ":" + hex;
  }
}
