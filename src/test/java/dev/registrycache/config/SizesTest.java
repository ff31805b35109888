package dev.registrycache.config;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SizesTest {
  /** Each line: a size, then the bytes it means. */
  private static void expect(String table) {
    assertAll(table.lines().map(line -> line.trim().split(" +")).map(c -> () ->
        assertEquals(Long.parseLong(c[1]), Sizes.parseBytes(c[0]), c[0])));
  }

  @Test
  void kubernetesQuantities() {
    expect("""
        0 0
        123 123
        1Ki 1024
        1Mi 1048576
        50Gi 53687091200
        1Ti 1099511627776
        1Pi 1125899906842624
        1Ei 1152921504606846976
        1k 1000
        500M 500000000
        5G 5000000000
        2T 2000000000000
        1P 1000000000000000
        3E 3000000000000000000
        1e9 1000000000
        1E6 1000000
        7e0 7
        12e03 12000
        9e18 9000000000000000000""");
  }

  @Test
  void byteUnits() {
    expect("""
        512B 512
        512KiB 524288
        1MiB 1048576
        20GiB 21474836480
        1TiB 1099511627776
        1PiB 1125899906842624
        1EiB 1152921504606846976
        64kB 64000
        64KB 64000
        750MB 750000000
        1GB 1000000000
        1TB 1000000000000
        1PB 1000000000000000
        1EB 1000000000000000000""");
  }

  @Test
  void fractionsRoundUpToAWholeByteAsKubernetesValueDoes() {
    expect("""
        1.5Gi 1610612736
        0.5Ki 512
        1.5k 1500
        2.5e3 2500
        0.25GB 250000000
        1.5 2
        0.1 1
        0.0 0
        100.5B 101
        1.0001k 1001
        1.0000000001 2
        0.000000001Ki 1
        1.1Ki 1127
        0.0000000000000000000000001e30 100000""");
  }

  /** 2^63-1 bytes at most: Kubernetes caps a quantity there, and so does the cache. */
  @Test
  void moreThanALongHoldsIsTheLargestLongAsInKubernetes() {
    expect("""
        9223372036854775807 9223372036854775807
        9223372036854775806.5 9223372036854775807
        9223372036854775808 9223372036854775807
        8Ei 9223372036854775807
        7.99999999999999999Ei 9223372036854775797
        7.999999999999999999999Ei 9223372036854775807
        10E 9223372036854775807
        1e19 9223372036854775807
        922337203685477580.7e1 9223372036854775807
        922337203685477580.8e1 9223372036854775807
        1e999999999999999999999 9223372036854775807
        0e999999999999999999999 0
        99999999999999999999999999999PiB 9223372036854775807""");
  }

  @Test
  void everythingElseIsRefusedSayingWhatASizeIs() {
    List<String> garbage = List.of("", "lots", "Gi", "1 Gi", " 1Gi", "1Gi ", "1Gi\n", "1gi", "1ki", "1K", "512K",
        "1kb", "1Kb", "20gib", "1Gb", "1iB", "1Zi", "1.Gi", ".5Gi", "1..5", "1,5Gi", "1_000", "0x10", "1e", "1e-3",
        "1e+3", "+1Gi", "1Gi5", "1GiGi", "１２３", "NaN", "Infinity");
    for (String s : garbage) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parseBytes(s), s);
      for (String example : List.of("50Gi", "20GiB", "500M", "1e9")) {
        assertTrue(e.getMessage().contains(example), e.getMessage());
      }
    }
    assertThrows(IllegalArgumentException.class, () -> Sizes.parseBytes(null));
  }

  @Test
  void negativeSizesAndUnitsBelowOneAreRefusedByName() {
    String negative = assertThrows(IllegalArgumentException.class, () -> Sizes.parseBytes("-1Gi")).getMessage();
    assertTrue(negative.contains("-1Gi is negative"), negative);
    for (String below : List.of("500m", "5u", "5n", "1.5m")) {
      String m = assertThrows(IllegalArgumentException.class, () -> Sizes.parseBytes(below)).getMessage();
      assertTrue(m.contains(below + " counts") && m.contains("of a byte"), m);
    }
    String milli = assertThrows(IllegalArgumentException.class, () -> Sizes.parseBytes("500m")).getMessage();
    assertTrue(milli.contains("thousandths") && milli.contains("M is 10^6"), milli);
  }

  @Test
  void thePatternIsOneTheApiServerCanUse() {
    String p = Sizes.SIZE_PATTERN;
    assertTrue(p.startsWith("^") && p.endsWith("$"), "anchored, so Go's search and a whole match agree: " + p);
    for (String notInRe2 : List.of("(?=", "(?!", "(?<", "(?>", "\\1", "\\2", "*+", "++", "?+", "\\Z", "\\z")) {
      assertFalse(p.contains(notInRe2), notInRe2 + " is not RE2: " + p);
    }
    assertTrue(Pattern.compile(p).matcher("50Gi").matches());
  }

  @Test
  void formattedSizesParseBack() {
    for (long bytes : List.of(0L, 1L, 1000L, 20L << 30, 512L << 20, (1L << 30) + 1)) {
      assertEquals(bytes, Sizes.parseBytes(Sizes.format(bytes)), Sizes.format(bytes));
    }
    assertEquals("20GiB", Sizes.format(20L << 30));
  }
}
