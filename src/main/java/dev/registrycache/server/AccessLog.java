package dev.registrycache.server;

import dev.registrycache.logging.Logging;
import java.math.BigDecimal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * One event per answered request on the logger {@value #LOGGER}, with the request as key-value
 * pairs: {@code client method uri status bytes duration_ms registry source} (the last two only
 * when known). {@code logback.xml} sends that logger to an asynchronous appender: the event loop
 * builds the event and queues it; formatting and writing happen on the appender's thread, and
 * when its queue is full events are dropped and counted ({@link #dropped()}), never waited for.
 */
final class AccessLog implements AutoCloseable {
  static final String LOGGER = "registry_cache.access";

  private final Logger log;

  AccessLog() {
    this(LoggerFactory.getLogger(LOGGER));
  }

  AccessLog(Logger log) {
    this.log = log;
  }

  void log(String client, String method, String uri, int status, long bytes, long nanos,
      String registry, String source) {
    LoggingEventBuilder e = log.atInfo().setMessage("request")
        .addKeyValue("client", client)
        .addKeyValue("method", method)
        .addKeyValue("uri", uri)
        .addKeyValue("status", status)
        .addKeyValue("bytes", bytes)
        .addKeyValue("duration_ms", BigDecimal.valueOf(nanos / 100_000, 1));
    if (registry != null) {
      e.addKeyValue("registry", registry);
    }
    if (source != null) {
      e.addKeyValue("source", source);
    }
    e.log();
  }

  /** Lines dropped because the writer could not keep up. */
  long dropped() {
    return Logging.dropped(log);
  }

  /** Waits up to two seconds for the lines logged so far to be written. */
  @Override
  public void close() {
    Logging.flush(log, 2000);
  }
}
