package dev.registrycache.logging;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.util.List;
import org.slf4j.event.KeyValuePair;

/**
 * logback's {@link JsonEncoder} with one flat object per line: {@code timestamp} (epoch
 * milliseconds), {@code level}, {@code threadName}, {@code loggerName}, {@code message} (with its
 * arguments filled in), each key-value pair of the event as its own field (numbers as numbers),
 * and {@code throwable} when there is one.
 */
public final class JsonLineEncoder extends JsonEncoder {
  /** Jackson's escaping: like logback's, but leaves '/' alone, so URIs stay greppable. */
  private static final JsonStringEncoder ESCAPER = JsonStringEncoder.getInstance();

  public JsonLineEncoder() {
    setWithSequenceNumber(false);
    setWithNanoseconds(false);
    setWithContext(false);
    setWithMDC(false);
    setWithMarkers(false);
    setWithKVPList(false);
    setWithMessage(false);
    setWithArguments(false);
    setWithFormattedMessage(false);
  }

  @Override
  protected void appendThrowableProxy(StringBuilder sb, String attributeName, IThrowableProxy itp) {
    if (itp != null) {
      super.appendThrowableProxy(sb, attributeName, itp);
    }
  }

  @Override
  protected void appendCustomFields(StringBuilder sb, ILoggingEvent event) {
    member(sb, "message", event.getFormattedMessage());
    List<KeyValuePair> pairs = event.getKeyValuePairs();
    if (pairs != null) {
      for (KeyValuePair p : pairs) {
        member(sb, p.key, p.value);
      }
    }
  }

  private static void member(StringBuilder sb, String key, Object value) {
    sb.append(",\"");
    ESCAPER.quoteAsString(key, sb);
    sb.append("\":");
    if (value == null) {
      sb.append("null");
    } else if (value instanceof Boolean || value instanceof Number n && Double.isFinite(n.doubleValue())) {
      sb.append(value);
    } else {
      sb.append('"');
      ESCAPER.quoteAsString(value.toString(), sb);
      sb.append('"');
    }
  }
}
