package dev.registrycache.logging;

import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;

/**
 * The encoder of the application log ({@code logback.xml}): {@code text} lines after
 * {@code pattern}, or one JSON object per line ({@link JsonLineEncoder}) when {@code format} is
 * {@code json} (from {@code REGISTRY_CACHE_LOG_FORMAT} or {@code --log-format}).
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
    if (Logging.Format.parseOr(format, Logging.Format.TEXT, this::addError) == Logging.Format.JSON) {
      delegate = new JsonLineEncoder();
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
