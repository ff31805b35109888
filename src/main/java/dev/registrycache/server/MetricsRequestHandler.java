package dev.registrycache.server;

import dev.registrycache.metrics.AccessDecision;
import dev.registrycache.metrics.CachedAccessReviews;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * Answers {@code GET /metrics} (optionally {@code ?name[]=...} for some meters only, as
 * Prometheus's client libraries do): 401 without a token or with one the API server does not
 * accept, 403 for a user not allowed {@code get} on {@code /metrics}, 503 while the API server
 * cannot be asked. The review and the rendering run off the event loop; the connection reads
 * nothing more until the answer is written, so answers keep the order of the requests.
 */
final class MetricsRequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  static final String PATH = "/metrics";
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  /** Meter names one request may ask for at most. */
  static final int MAX_NAMES = 32;

  private final CachedAccessReviews access;
  private final Function<Set<String>, String> scrape;
  private final Executor worker;

  MetricsRequestHandler(CachedAccessReviews access, Function<Set<String>, String> scrape, Executor worker) {
    this.access = access;
    this.scrape = scrape;
    this.worker = worker;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    boolean head = HttpMethod.HEAD.equals(req.method());
    QueryStringDecoder q = new QueryStringDecoder(req.uri());
    if (!PATH.equals(q.path())) {
      answer(ctx, HttpResponseStatus.NOT_FOUND, "only " + PATH + " here\n", head, keepAlive);
      return;
    }
    if (!head && !HttpMethod.GET.equals(req.method())) {
      answer(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "GET or HEAD\n", false, keepAlive);
      return;
    }
    List<String> asked = q.parameters().getOrDefault("name[]", List.of());
    if (asked.size() > MAX_NAMES) {
      answer(ctx, HttpResponseStatus.BAD_REQUEST, "at most " + MAX_NAMES + " name[] parameters\n", head, keepAlive);
      return;
    }
    Set<String> names = Set.copyOf(asked);
    CompletableFuture<AccessDecision> decision = access == null
        ? CompletableFuture.completedFuture(AccessDecision.ALLOWED)
        : access.check(req.headers().get(HttpHeaderNames.AUTHORIZATION));
    ctx.channel().config().setAutoRead(false);
    decision.thenCompose(d -> d != AccessDecision.ALLOWED ? CompletableFuture.completedFuture(refusal(d))
        : CompletableFuture.supplyAsync(() -> scrape.apply(names), worker).thenApply(MetricsRequestHandler::ok))
        .exceptionally(e -> new Answer(HttpResponseStatus.INTERNAL_SERVER_ERROR, "cannot render metrics\n"))
        .thenAccept(a -> ctx.executor().execute(() -> {
          answer(ctx, a.status(), a.body(), head, keepAlive);
          ctx.channel().config().setAutoRead(true);
        }));
  }

  private record Answer(HttpResponseStatus status, String body) {}

  private static Answer ok(String text) {
    return new Answer(HttpResponseStatus.OK, text);
  }

  private static Answer refusal(AccessDecision d) {
    return switch (d) {
      case UNAUTHENTICATED -> new Answer(HttpResponseStatus.UNAUTHORIZED,
          "a bearer token the API server accepts is required\n");
      case FORBIDDEN -> new Answer(HttpResponseStatus.FORBIDDEN,
          "this user may not get /metrics (a ClusterRole with nonResourceURLs [/metrics], verb get)\n");
      default -> new Answer(HttpResponseStatus.SERVICE_UNAVAILABLE, "cannot review the token now\n");
    };
  }

  private static void answer(ChannelHandlerContext ctx, HttpResponseStatus status, String body, boolean head,
      boolean keepAlive) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(b));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, status == HttpResponseStatus.OK ? CONTENT_TYPE
        : "text/plain; charset=utf-8");
    HttpUtil.setContentLength(r, b.length);
    if (status == HttpResponseStatus.UNAUTHORIZED) {
      r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"registry-cache metrics\"");
    }
    if (keepAlive) {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      ctx.writeAndFlush(r);
    } else {
      ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close(); // TLS garbage, a reset: nothing to answer
  }
}
