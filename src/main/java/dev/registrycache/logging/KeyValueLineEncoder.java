package dev.registrycache.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.slf4j.event.KeyValuePair;

/**
 * The access log's {@code text} lines ({@link LogEncoder} without a pattern): one line per event,
 * {@code TIME LOGGER key=value key=value ...}, written directly instead of through a pattern
 * layout (one line per request is the hot path of a busy cache).
 *
 * <p>Values are written as they are, except that spaces, control characters, quotes, backslashes
 * and anything outside printable ASCII become {@code \xNN} (a character above {@code \xFF}:
 * {@code \x{NNNN}}), as nginx writes them: a line always has one field per pair, and nothing a
 * client sends can start a line of its own.
 */
public final class KeyValueLineEncoder extends EncoderBase<ILoggingEvent> {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  /** The time of the last line, formatted: lines come many per millisecond. */
  private record Stamp(long millis, String text) {}

  private volatile Stamp stamp = new Stamp(Long.MIN_VALUE, "");

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    StringBuilder sb = new StringBuilder(256);
    sb.append(time(event.getTimeStamp())).append(' ').append(event.getLoggerName());
    List<KeyValuePair> pairs = event.getKeyValuePairs();
    if (pairs != null) {
      for (KeyValuePair p : pairs) {
        sb.append(' ').append(p.key).append('=');
        if (p.value instanceof Integer || p.value instanceof Long) {
          sb.append(((Number) p.value).longValue());
        } else {
          appendEscaped(sb, String.valueOf(p.value));
        }
      }
    }
    sb.append('\n');
    return sb.toString().getBytes(StandardCharsets.UTF_8); // ASCII only (the rest was escaped): a plain copy
  }

  private String time(long millis) {
    Stamp s = stamp;
    if (s.millis() != millis) {
      s = new Stamp(millis, TIME.format(Instant.ofEpochMilli(millis)));
      stamp = s;
    }
    return s.text();
  }

  private static boolean plain(char c) {
    return c > ' ' && c < 0x7f && c != '"' && c != '\\';
  }

  static void appendEscaped(StringBuilder sb, String v) {
    int i = 0;
    while (i < v.length() && plain(v.charAt(i))) {
      i++;
    }
    if (i == v.length()) {
      sb.append(v); // the usual case: one copy
      return;
    }
    sb.append(v, 0, i);
    for (; i < v.length(); i++) {
      char c = v.charAt(i);
      if (plain(c)) {
        sb.append(c);
      } else if (c <= 0xff) {
        sb.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
      } else {
        sb.append("\\x{").append(Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT)).append('}');
      }
    }
  }
}
