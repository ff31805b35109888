package dev.registrycache.logging;

import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;

/**
 * The encoder {@code logback.xml} names for every appender: one JSON object per line
 * ({@link JsonLineEncoder}) when {@code format} is {@code json} (from
 * {@code REGISTRY_CACHE_LOG_FORMAT} or {@code --log-format}); otherwise {@code text} lines after
 * {@code pattern}, or, without a pattern, {@code TIME LOGGER key=value ...} lines
 * ({@link KeyValueLineEncoder}, the access log).
 */
public final class LogEncoder extends EncoderBase<ILoggingEvent> {
  private String format = "text";
  private String pattern;
  private Encoder<ILoggingEvent> delegate;

  public void setFormat(String format) {
    this.format = format;
  }

  public void setPattern(String pattern) {
    this.pattern = pattern;
  }

  @Override
  public void start() {
    Logging.Format f;
    try {
      f = Logging.Format.parse(format);
    } catch (IllegalArgumentException e) {
      addError(e.getMessage() + "; writing text");
      f = Logging.Format.TEXT;
    }
    if (f == Logging.Format.JSON) {
      delegate = new JsonLineEncoder();
    } else if (pattern == null) {
      delegate = new KeyValueLineEncoder();
    } else {
      PatternLayoutEncoder p = new PatternLayoutEncoder();
      p.setPattern(pattern);
      delegate = p;
    }
    delegate.setContext(getContext());
    delegate.start();
    super.start();
  }

  @Override
  public void stop() {
    if (delegate != null) {
      delegate.stop();
    }
    super.stop();
  }

  @Override
  public byte[] headerBytes() {
    return delegate.headerBytes();
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    return delegate.encode(event);
  }

  @Override
  public byte[] footerBytes() {
    return delegate.footerBytes();
  }
}
