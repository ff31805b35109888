package dev.registrycache.server;

import dev.registrycache.metrics.CacheMetrics;
import dev.registrycache.oci.ErrorCode;
import dev.registrycache.oci.OciError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds the client connections open at once. A connection beyond the limit is answered
 * {@code 503} at once (clients fall back to their next mirror or to upstream) and closed; the
 * log says so when it starts happening, then at most once a minute with how many were turned
 * away, and once more when connections are accepted again.
 */
final class ConnectionLimit {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimit.class);
  private static final long REPORT_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final int max;
  private final CacheMetrics metrics;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicLong refusedSinceReport = new AtomicLong();
  private final AtomicLong lastReport = new AtomicLong(System.nanoTime() - REPORT_NANOS);
  private volatile boolean limited;
  private final ByteBuf refusal;

  ConnectionLimit(int max, CacheMetrics metrics) {
    this.max = max;
    this.metrics = metrics;
    byte[] body = new OciError(ErrorCode.UNAVAILABLE, 503, "the cache has " + max
        + " client connections open, its limit (clients.maxConnections); retry or use another mirror").toJson();
    String head = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: "
        + body.length + "\r\nConnection: close\r\n\r\n";
    refusal = Unpooled.unreleasableBuffer(Unpooled.directBuffer(head.length() + body.length)
        .writeBytes(head.getBytes(StandardCharsets.US_ASCII)).writeBytes(body));
  }

  int open() {
    return open.get();
  }

  /** Counts {@code ch} until it closes; false (and the channel answered and closed) when over the limit. */
  boolean admit(Channel ch) {
    int now = open.incrementAndGet();
    ch.closeFuture().addListener(f -> released());
    if (now <= max) {
      return true;
    }
    metrics.connectionClosed("limit");
    refusedSinceReport.incrementAndGet();
    report(now - 1);
    ch.writeAndFlush(refusal.duplicate()).addListener(ChannelFutureListener.CLOSE);
    return false;
  }

  private void released() {
    if (open.decrementAndGet() < max && limited) {
      limited = false;
      LOG.info("client connections below the limit of {} again; {} connection(s) were refused", max,
          refusedSinceReport.getAndSet(0));
    }
  }

  private void report(int openNow) {
    long last = lastReport.get();
    long t = System.nanoTime();
    boolean first = !limited;
    limited = true;
    if ((first || t - last >= REPORT_NANOS) && lastReport.compareAndSet(last, t)) {
      LOG.warn("client connection limit reached: {} connections open (clients.maxConnections={}); new connections"
          + " are answered 503 and closed ({} refused since the last report)", openNow, max,
          refusedSinceReport.getAndSet(0));
    }
  }
}
