package dev.registrycache.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes events to stdout from its own thread, for loggers on the request path (the access log):
 * the logging thread only puts the event into a bounded queue; when the queue is full the event
 * is dropped and counted ({@link #dropped()}), so an event loop never waits for a slow stdout.
 * The writer thread wakes every few milliseconds, encodes whatever has queued up and writes it
 * with one call and one flush (the logging thread never wakes it).
 *
 * <p>Configured in {@code logback.xml} with an {@code encoder} and optionally {@code queueSize}.
 * Events keep their message, arguments, key-value pairs, thread name and time; the MDC is not
 * carried over to the writer thread.
 */
public final class AsyncStdoutAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
  private static final int BATCH = 4096;
  /** How long the writer sleeps when nothing is queued: the most a line waits to be written. */
  private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private Encoder<ILoggingEvent> encoder;
  private int queueSize = 65536;
  private OutputStream out;
  private BlockingQueue<ILoggingEvent> queue;
  private final LongAdder dropped = new LongAdder();
  private final AtomicLong queued = new AtomicLong();
  private final AtomicLong written = new AtomicLong();
  private Thread writer;
  private volatile boolean stopping;

  public void setEncoder(Encoder<ILoggingEvent> encoder) {
    this.encoder = encoder;
  }

  public void setQueueSize(int queueSize) {
    this.queueSize = queueSize;
  }

  /** Where to write instead of {@code System.out} (as it is when the appender starts). */
  public void setOutputStream(OutputStream out) {
    this.out = out;
  }

  @Override
  public void start() {
    if (encoder == null) {
      addError("no encoder for appender " + name);
      return;
    }
    if (queueSize < 1) {
      addError("queueSize must be at least 1, got " + queueSize);
      return;
    }
    if (out == null) {
      out = System.out;
    }
    queue = new ArrayBlockingQueue<>(queueSize);
    stopping = false;
    writer = new Thread(this::run, "log-writer-" + name);
    writer.setDaemon(true);
    writer.start();
    super.start();
  }

  @Override
  protected void append(ILoggingEvent event) {
    // what the encoders read later on the writer thread, fixed now; MDC and caller data are not
    // carried over (no encoder of this project writes them; copying the MDC per line costs)
    event.getFormattedMessage();
    event.getThreadName();
    if (queue.offer(event)) {
      queued.incrementAndGet();
    } else {
      dropped.increment();
    }
  }

  /** Events dropped because the queue was full. */
  public long dropped() {
    return dropped.sum();
  }

  /** Waits (at most {@code timeoutMillis}) until every event queued so far is written. */
  public boolean flush(long timeoutMillis) {
    long target = queued.get();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (written.get() < target) {
      if (System.nanoTime() > deadline || writer == null || !writer.isAlive()) {
        return false;
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /** Writes what is queued (for at most two seconds), then stops. */
  @Override
  public void stop() {
    if (!isStarted()) {
      return;
    }
    super.stop();
    stopping = true;
    LockSupport.unpark(writer);
    try {
      writer.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    List<ILoggingEvent> batch = new ArrayList<>(BATCH);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 16);
    boolean reported = false;
    while (true) {
      if (queue.drainTo(batch, BATCH) == 0) {
        if (stopping) {
          return;
        }
        // Sleep instead of waiting on the queue: a waiting consumer would make every offer wake
        // it (a futex call on the event loop per line); this way lines are written in batches.
        LockSupport.parkNanos(this, IDLE_NANOS);
        continue;
      }
      try {
        for (ILoggingEvent e : batch) {
          bytes.write(encoder.encode(e));
        }
        bytes.writeTo(out);
        out.flush();
      } catch (IOException | RuntimeException e) {
        if (!reported) {
          addError("cannot write log events of " + name, e);
          reported = true;
        }
      }
      written.addAndGet(batch.size());
      bytes.reset();
      batch.clear();
    }
  }
}
