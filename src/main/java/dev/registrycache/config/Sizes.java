package dev.registrycache.config;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses sizes and durations ({@code 5m}, {@code 500ms}). A size is a whole number of bytes,
 * written as a Kubernetes quantity ({@code 50Gi}, {@code 500M}, {@code 1e9}, {@code 1.5Gi}) or
 * with a byte unit ({@code 20GiB}, {@code 1GB}, {@code 512B}): {@link #SIZE_PATTERN} is the whole
 * language, and the CRD's pattern for every size field, so the API server and the cache accept
 * the same strings.
 */
public final class Sizes {
  /**
   * Digits with an optional fraction, then a binary suffix (Ki Mi Gi Ti Pi Ei), a decimal one
   * (k M G T P E), a decimal exponent (e3, E6), a byte unit (KiB MiB GiB TiB PiB EiB; kB KB MB GB
   * TB PB EB; B) or nothing. Case-sensitive, as Kubernetes is. RE2 syntax (the API server's regexps):
   * no lookarounds, no backreferences.
   */
  public static final String SIZE_PATTERN =
      "^([0-9]+(\\.[0-9]+)?)([KMGTPE]iB?|[kMGTPE]|[eE][0-9]+|[kKMGTPE]B|B)?$";

  static final String EXAMPLES = "e.g. 50Gi, 20GiB, 500M, 1e9";
  private static final Pattern SIZE = Pattern.compile(SIZE_PATTERN);
  private static final Pattern BELOW_A_BYTE = Pattern.compile("^[0-9]+(\\.[0-9]+)?[mun]$");
  private static final BigDecimal MAX = BigDecimal.valueOf(Long.MAX_VALUE);
  /** Every unit but the decimal exponents, and what it multiplies by. */
  private static final Map<String, BigDecimal> UNITS = units();

  private Sizes() {}

  private static Map<String, BigDecimal> units() {
    Map<String, BigDecimal> units = new HashMap<>();
    units.put("", BigDecimal.ONE);
    units.put("B", BigDecimal.ONE);
    String prefixes = "KMGTPE";
    for (int i = 0; i < prefixes.length(); i++) {
      String binary = prefixes.charAt(i) + "i";
      String decimal = i == 0 ? "k" : String.valueOf(prefixes.charAt(i));
      BigDecimal powerOf1024 = new BigDecimal(BigInteger.ONE.shiftLeft(10 * (i + 1)));
      BigDecimal powerOf1000 = BigDecimal.ONE.scaleByPowerOfTen(3 * (i + 1));
      units.put(binary, powerOf1024);
      units.put(binary + "B", powerOf1024);
      units.put(decimal, powerOf1000);
      units.put(decimal + "B", powerOf1000);
    }
    units.put("KB", units.get("kB"));
    return Map.copyOf(units);
  }

  /**
   * The number of bytes {@code s} means, as Kubernetes' {@code Quantity.Value()} computes it:
   * a fraction of a byte rounds up, and more than 2^63-1 bytes (8 EiB) is 2^63-1.
   */
  public static long parseBytes(String s) {
    Matcher m = SIZE.matcher(s == null ? "" : s);
    if (!m.matches()) {
      throw new IllegalArgumentException(refusal(s));
    }
    BigDecimal number = new BigDecimal(m.group(1));
    String unit = m.group(3) == null ? "" : m.group(3);
    BigDecimal bytes;
    if (UNITS.containsKey(unit)) {
      bytes = number.multiply(UNITS.get(unit));
    } else {
      // a decimal exponent: beyond 19 places past the number's last digit, any non-zero number exceeds MAX
      BigInteger exponent = new BigInteger(unit.substring(1));
      if (number.signum() == 0) {
        return 0;
      }
      if (exponent.compareTo(BigInteger.valueOf(number.scale() + 19L)) > 0) {
        return Long.MAX_VALUE;
      }
      bytes = number.scaleByPowerOfTen(exponent.intValueExact());
    }
    return bytes.compareTo(MAX) > 0 ? Long.MAX_VALUE : bytes.setScale(0, RoundingMode.CEILING).longValueExact();
  }

  private static String refusal(String s) {
    if (s == null || s.isEmpty()) {
      return "a size is empty; write a number of bytes, " + EXAMPLES;
    }
    if (s.startsWith("-")) {
      return "size " + s + " is negative; sizes are whole numbers of bytes, " + EXAMPLES;
    }
    if (BELOW_A_BYTE.matcher(s).matches()) {
      char unit = s.charAt(s.length() - 1);
      String part = unit == 'm' ? "thousandths (milli)" : unit == 'u' ? "millionths (micro)" : "billionths (nano)";
      return "size " + s + " counts " + part + " of a byte; sizes are whole numbers of bytes, " + EXAMPLES
          + " (M is 10^6, Mi 2^20)";
    }
    return "invalid size " + s + ": write a whole number of bytes as a Kubernetes quantity or with a byte unit, "
        + EXAMPLES + "; the units, case-sensitive: Ki Mi Gi Ti Pi Ei (powers of 1024), k M G T P E (powers of "
        + "1000), e3 e6 ... (powers of ten), KiB MiB GiB TiB PiB EiB, kB KB MB GB TB PB EB, B";
  }

  public static Duration parseDuration(String s) {
    String t = s.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      long v = Long.parseLong(t.substring(0, t.length() - 1));
      return switch (t.charAt(t.length() - 1)) {
        case 's' -> Duration.ofSeconds(v);
        case 'm' -> Duration.ofMinutes(v);
        case 'h' -> Duration.ofHours(v);
        case 'd' -> Duration.ofDays(v);
        default -> throw new IllegalArgumentException("invalid duration: " + s);
      };
    } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
      throw new IllegalArgumentException("invalid duration (e.g. 30s, 5m, 500ms): " + s);
    }
  }

  public static String format(long bytes) {
    if (bytes >= 1L << 30 && bytes % (1L << 30) == 0) {
      return (bytes >> 30) + "GiB";
    }
    if (bytes >= 1L << 20 && bytes % (1L << 20) == 0) {
      return (bytes >> 20) + "MiB";
    }
    return bytes + "B";
  }
}
