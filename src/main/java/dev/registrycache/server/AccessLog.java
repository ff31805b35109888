package dev.registrycache.server;

import dev.registrycache.metrics.CacheMetrics;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One line per request, written by a background thread so that event loops never wait on
 * stdout. Format: {@code TIME CLIENT METHOD URI STATUS BYTES MILLIS REGISTRY SOURCE}. When the
 * queue is full (a slow terminal) lines are dropped and counted, requests never wait.
 */
final class AccessLog implements AutoCloseable {
  private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(65536);
  private final OutputStream out;
  private final CacheMetrics metrics;
  private final Thread writer;
  private volatile boolean closed;

  AccessLog(OutputStream out, CacheMetrics metrics) {
    this.out = new BufferedOutputStream(out, 1 << 16);
    this.metrics = metrics;
    this.writer = new Thread(this::run, "access-log");
    writer.setDaemon(true);
    writer.start();
  }

  void log(String client, String method, String uri, int status, long bytes, long nanos,
      String registry, String source) {
    StringBuilder sb = LINE.get();
    sb.setLength(0);
    appendTime(sb, System.currentTimeMillis());
    sb.append(' ').append(client).append(' ').append(method).append(' ')
        .append(uri).append(' ').append(status).append(' ').append(bytes).append(' ')
        .append(nanos / 1_000_000).append('.').append((nanos / 100_000) % 10).append("ms ")
        .append(registry == null ? "-" : registry).append(' ')
        .append(source == null ? "-" : source).append('\n');
    if (!queue.offer(sb.toString())) {
      metrics.accessLogDropped();
    }
  }

  /** One builder per event loop: a log line allocates only its final string. */
  private static final ThreadLocal<StringBuilder> LINE = ThreadLocal.withInitial(() -> new StringBuilder(256));
  /** The formatted second, reused while the clock stays in it (formatting is the costly part). */
  private static final ThreadLocal<Object[]> SECOND = ThreadLocal.withInitial(() -> new Object[] {-1L, ""});

  /** {@code 2026-11-23T10:15:30.123Z}. */
  static void appendTime(StringBuilder sb, long millis) {
    long second = millis / 1000;
    Object[] cached = SECOND.get();
    if ((Long) cached[0] != second) {
      String iso = Instant.ofEpochSecond(second).toString(); // 2026-11-23T10:15:30Z
      cached[0] = second;
      cached[1] = iso.substring(0, iso.length() - 1);
    }
    int ms = (int) (millis % 1000);
    sb.append((String) cached[1]).append('.').append((char) ('0' + ms / 100))
        .append((char) ('0' + ms / 10 % 10)).append((char) ('0' + ms % 10)).append('Z');
  }

  private void run() {
    List<String> batch = new ArrayList<>(1024);
    while (!closed || !queue.isEmpty()) {
      try {
        String first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, 1023);
        for (String s : batch) {
          out.write(s.getBytes(StandardCharsets.UTF_8));
        }
        out.flush();
        batch.clear();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (IOException e) {
        batch.clear();
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      writer.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
