package dev.registrycache.oci;

/**
 * One byte range of a {@code Range: bytes=...} header, resolved against a known length.
 * Multiple ranges are not supported: {@link #parse} returns null for them and the whole
 * body is sent instead, which HTTP allows.
 */
public record ByteRange(long start, long endInclusive) {

  public long length() {
    return endInclusive - start + 1;
  }

  public String contentRange(long total) {
    return "bytes " + start + "-" + endInclusive + "/" + total;
  }

  /**
   * @return the range, or null when the header is absent, malformed or multi-range (serve it
   *     all); throws {@link OciException} with {@code RANGE_INVALID} when unsatisfiable
   */
  public static ByteRange parse(String header, long total) {
    if (header == null || !header.startsWith("bytes=") || header.indexOf(',') >= 0) {
      return null;
    }
    String spec = header.substring(6).trim();
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return null;
    }
    try {
      String a = spec.substring(0, dash).trim();
      String b = spec.substring(dash + 1).trim();
      long start;
      long end;
      if (a.isEmpty()) {
        long suffix = Long.parseLong(b);
        if (suffix <= 0) {
          throw unsatisfiable(header, total);
        }
        start = Math.max(0, total - suffix);
        end = total - 1;
      } else {
        start = Long.parseLong(a);
        end = b.isEmpty() ? total - 1 : Math.min(Long.parseLong(b), total - 1);
        if (end < start && !b.isEmpty() && Long.parseLong(b) < start) {
          return null; // syntactically invalid: ignore the header
        }
      }
      if (start >= total || start < 0) {
        throw unsatisfiable(header, total);
      }
      return new ByteRange(start, end);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static OciException unsatisfiable(String header, long total) {
    return new OciException(ErrorCode.RANGE_INVALID,
        "range " + header + " not satisfiable for " + total + " bytes");
  }
}
