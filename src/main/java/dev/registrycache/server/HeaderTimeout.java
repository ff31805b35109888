package dev.registrycache.server;

import dev.registrycache.metrics.CacheMetrics;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection that has not delivered a complete request header within the header
 * timeout of being opened, or of its previous answer having been sent (nginx's
 * {@code client_header_timeout}, which also bounds how long an idle keep-alive connection is
 * kept). A client sending half a request line and then nothing, or one byte a minute, holds its
 * connection no longer than that. While a request is being answered the clock does not run,
 * however long the answer takes to send.
 *
 * <p>As Netty's {@code IdleStateHandler} does, requests only note the time: one timer per
 * connection is scheduled when none is pending, and when it fires it either closes the
 * connection or schedules itself for the time still left, so a busy keep-alive connection
 * costs no timer per request.
 */
final class HeaderTimeout extends ChannelDuplexHandler {
  private static final long NOT_WAITING = -1;
  private final long timeoutNanos;
  private final CacheMetrics metrics;
  /** Requests whose headers arrived, and answers completely sent. */
  private long received;
  private long answered;
  /** Since when a request header is awaited; {@link #NOT_WAITING} while one is answered. */
  private long waitingSince = NOT_WAITING;
  private ScheduledFuture<?> timer;

  HeaderTimeout(Duration timeout, CacheMetrics metrics) {
    this.timeoutNanos = timeout.toNanos();
    this.metrics = metrics;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (ctx.channel().isActive()) {
      await(ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    if (timer == null) {
      await(ctx);
    }
    super.channelActive(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (msg instanceof HttpRequest) {
      received++;
      waitingSince = NOT_WAITING;
    }
    super.channelRead(ctx, msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
    if (!(msg instanceof LastHttpContent)) {
      super.write(ctx, msg, promise);
      return;
    }
    ChannelPromise p = promise.unvoid();
    p.addListener(f -> {
      answered++;
      if (f.isSuccess() && answered >= received && ctx.channel().isActive()) {
        await(ctx); // the next request's header is due now
      }
    });
    super.write(ctx, msg, p);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    super.channelInactive(ctx);
  }

  private void await(ChannelHandlerContext ctx) {
    waitingSince = System.nanoTime();
    if (timer == null) {
      schedule(ctx, timeoutNanos);
    }
  }

  private void schedule(ChannelHandlerContext ctx, long delayNanos) {
    timer = ctx.executor().schedule(() -> expired(ctx), delayNanos, TimeUnit.NANOSECONDS);
  }

  private void expired(ChannelHandlerContext ctx) {
    timer = null;
    if (waitingSince == NOT_WAITING || !ctx.channel().isActive()) {
      return; // answering: the next wait schedules a timer again
    }
    long left = waitingSince + timeoutNanos - System.nanoTime();
    if (left > 0) {
      schedule(ctx, left);
    } else {
      metrics.connectionClosed("header-timeout");
      ctx.close();
    }
  }
}
