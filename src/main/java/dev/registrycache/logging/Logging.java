package dev.registrycache.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.joran.spi.JoranException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The logging set-up: {@code logback.xml} on the classpath, in the format that
 * {@code REGISTRY_CACHE_LOG_FORMAT} or {@code --log-format} selects (see docs/logging.md).
 */
public final class Logging {
  /** The variable {@code logback.xml} reads the format from (a context property, else the environment). */
  public static final String FORMAT_VARIABLE = "REGISTRY_CACHE_LOG_FORMAT";

  /** How every log line is written. */
  public enum Format {
    /** {@code TIME LEVEL [THREAD] LOGGER - MESSAGE}, and {@code TIME LOGGER key=value ...} for the access log. */
    TEXT,
    /** One JSON object per line. */
    JSON;

    /** {@code text} or {@code json}, in any case. */
    public static Format parse(String s) {
      for (Format f : values()) {
        if (f.name().equalsIgnoreCase(s == null ? "" : s.strip())) {
          return f;
        }
      }
      throw new IllegalArgumentException("log format must be text or json, got '" + s + "'");
    }
  }

  private Logging() {}

  /**
   * Makes {@code format} the format of every appender: re-reads {@code logback.xml} with it when
   * the configuration in effect uses another one (e.g. the flag differs from the environment).
   */
  public static void useFormat(Format format) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
      return;
    }
    String current = ctx.getProperty("LOG_FORMAT");
    if (current != null && current.toLowerCase(Locale.ROOT).equals(format.name().toLowerCase(Locale.ROOT))) {
      return;
    }
    URL config = Logging.class.getResource("/logback.xml");
    ctx.reset();
    ctx.putProperty(FORMAT_VARIABLE, format.name().toLowerCase(Locale.ROOT));
    JoranConfigurator c = new JoranConfigurator();
    c.setContext(ctx);
    try {
      c.doConfigure(config);
    } catch (JoranException e) {
      throw new IllegalStateException("cannot read " + config + ": " + e.getMessage(), e);
    }
  }

  /** Events the async appenders of {@code logger} dropped because their queue was full. */
  public static long dropped(Logger logger) {
    long n = 0;
    for (AsyncStdoutAppender a : asyncAppenders(logger)) {
      n += a.dropped();
    }
    return n;
  }

  /** Waits (bounded) until the async appenders of {@code logger} have written what is queued. */
  public static void flush(Logger logger, long timeoutMillis) {
    for (AsyncStdoutAppender a : asyncAppenders(logger)) {
      a.flush(timeoutMillis);
    }
  }

  /** Writes what is still queued and stops logging (at the very end of the process). */
  public static void stop() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
      ctx.stop();
    }
  }

  private static List<AsyncStdoutAppender> asyncAppenders(Logger logger) {
    List<AsyncStdoutAppender> out = new ArrayList<>();
    if (logger instanceof ch.qos.logback.classic.Logger l) {
      for (Iterator<Appender<ILoggingEvent>> it = l.iteratorForAppenders(); it.hasNext(); ) {
        if (it.next() instanceof AsyncStdoutAppender a) {
          out.add(a);
        }
      }
    }
    return out;
  }
}
