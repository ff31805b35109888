package dev.registrycache.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ByteRangeTest {
  @Test
  void openEnded() {
    ByteRange r = ByteRange.parse("bytes=100-", 1000);
    assertEquals(100, r.start());
    assertEquals(999, r.endInclusive());
    assertEquals(900, r.length());
    assertEquals("bytes 100-999/1000", r.contentRange(1000));
  }

  @Test
  void closedAndClampedToLength() {
    assertEquals(new ByteRange(0, 9), ByteRange.parse("bytes=0-9", 1000));
    assertEquals(new ByteRange(990, 999), ByteRange.parse("bytes=990-5000", 1000));
  }

  @Test
  void suffix() {
    assertEquals(new ByteRange(900, 999), ByteRange.parse("bytes=-100", 1000));
    assertEquals(new ByteRange(0, 999), ByteRange.parse("bytes=-5000", 1000));
  }

  @Test
  void ignoredWhenAbsentMalformedOrMulti() {
    assertNull(ByteRange.parse(null, 10));
    assertNull(ByteRange.parse("items=0-1", 10));
    assertNull(ByteRange.parse("bytes=0-1,3-4", 10));
    assertNull(ByteRange.parse("bytes=x-", 10));
    assertNull(ByteRange.parse("bytes=5-2", 10));
  }

  @Test
  void unsatisfiable() {
    OciException e = assertThrows(OciException.class, () -> ByteRange.parse("bytes=1000-", 1000));
    assertEquals(ErrorCode.RANGE_INVALID, e.error().code());
    assertEquals(416, e.error().status());
    assertThrows(OciException.class, () -> ByteRange.parse("bytes=-0", 1000));
    assertThrows(OciException.class, () -> ByteRange.parse("bytes=0-", 0));
  }
}
