package dev.registrycache.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AsyncStdoutAppenderTest {
  /** An output that blocks every write until released, like a stdout pipe nobody reads. */
  static final class StuckOutput extends OutputStream {
    final CountDownLatch release = new CountDownLatch(1);
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
      try {
        if (!release.await(10, TimeUnit.SECONDS)) {
          throw new IOException("never released");
        }
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
      bytes.write(b, off, len);
    }
  }

  private static Logger logger(LoggerContext ctx, AsyncStdoutAppender appender) {
    LogEncoder encoder = new LogEncoder();
    encoder.setContext(ctx);
    encoder.setPattern("%msg%n");
    encoder.start();
    appender.setContext(ctx);
    appender.setName("TEST");
    appender.setEncoder(encoder);
    appender.start();
    Logger log = ctx.getLogger("registry_cache.access");
    log.setAdditive(false);
    log.addAppender(appender);
    return log;
  }

  @Test
  void aFullQueueDropsAndCountsInsteadOfBlocking() throws Exception {
    LoggerContext ctx = new LoggerContext();
    ctx.setMDCAdapter(new LogbackMDCAdapter());
    StuckOutput stuck = new StuckOutput();
    AsyncStdoutAppender appender = new AsyncStdoutAppender();
    appender.setQueueSize(8);
    appender.setOutputStream(stuck);
    Logger log = logger(ctx, appender);

    long start = System.nanoTime();
    for (int i = 0; i < 1000; i++) {
      log.info("line {}", i);
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(millis < 2000, "logging waited for the output: " + millis + " ms");
    long dropped = appender.dropped();
    // at most one batch taken from the queue (no more than it held) and a full queue behind it
    assertTrue(dropped >= 1000 - 2 * 8 - 1, "dropped " + dropped);
    assertEquals(dropped, Logging.dropped(log));

    stuck.release.countDown();
    assertTrue(appender.flush(5000));
    ctx.stop();
    String[] lines = stuck.bytes.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals(1000 - dropped, lines.length);
    assertEquals("line 0", lines[0]);
  }

  @Test
  void stopWritesWhatIsQueued() {
    LoggerContext ctx = new LoggerContext();
    ctx.setMDCAdapter(new LogbackMDCAdapter());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    AsyncStdoutAppender appender = new AsyncStdoutAppender();
    appender.setOutputStream(out);
    Logger log = logger(ctx, appender);
    for (int i = 0; i < 5000; i++) {
      log.info("n={}", i);
    }
    ctx.stop();
    String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals(5000, lines.length);
    assertEquals("n=4999", lines[4999]);
    assertEquals(0, appender.dropped());
  }
}
