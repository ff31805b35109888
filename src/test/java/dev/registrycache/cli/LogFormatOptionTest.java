package dev.registrycache.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import dev.registrycache.logging.Logging;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

class LogFormatOptionTest {
  @Test
  void flagTakesTextOrJsonInAnyCase() {
    CacheCommand c = new CacheCommand();
    new CommandLine(c).parseArgs("--log-format", "JSON");
    assertEquals(Logging.Format.JSON, c.logFormat);
    new CommandLine(c).parseArgs("--log-format=text");
    assertEquals(Logging.Format.TEXT, c.logFormat);
    CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
        () -> new CommandLine(new CacheCommand()).parseArgs("--log-format", "xml"));
    assertTrue(e.getMessage().contains("log format must be text or json, got 'xml'"), e.getMessage());
  }

  @Test
  void useFormatReconfiguresTheRunningContext() {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    try {
      Logging.useFormat(Logging.Format.JSON);
      assertEquals("json", ctx.getProperty("LOG_FORMAT"));
      assertTrue(ctx.getLogger("registry_cache.access").getAppender("ACCESS").isStarted());
    } finally {
      Logging.useFormat(Logging.Format.TEXT);
    }
    assertEquals("text", ctx.getProperty("LOG_FORMAT"));
  }
}
