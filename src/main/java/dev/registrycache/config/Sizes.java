package dev.registrycache.config;

import java.time.Duration;
import java.util.Locale;

/** Parses sizes ({@code 20GiB}, {@code 512M}, {@code 1000}) and durations ({@code 5m}, {@code 500ms}). */
public final class Sizes {
  private Sizes() {}

  public static long parseBytes(String s) {
    String t = s.trim().toUpperCase(Locale.ROOT).replace(" ", "");
    long mult = 1;
    String[][] units = {
        {"TIB", "1099511627776"}, {"GIB", "1073741824"}, {"MIB", "1048576"}, {"KIB", "1024"},
        {"TB", "1000000000000"}, {"GB", "1000000000"}, {"MB", "1000000"}, {"KB", "1000"},
        {"T", "1099511627776"}, {"G", "1073741824"}, {"M", "1048576"}, {"K", "1024"}, {"B", "1"}};
    for (String[] u : units) {
      if (t.endsWith(u[0])) {
        mult = Long.parseLong(u[1]);
        t = t.substring(0, t.length() - u[0].length());
        break;
      }
    }
    try {
      long v = Long.parseLong(t);
      if (v < 0) {
        throw new NumberFormatException();
      }
      return Math.multiplyExact(v, mult);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("invalid size: " + s);
    }
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
