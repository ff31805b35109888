package dev.registrycache.upstream;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.ResponseInfo;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One request and its answer on an upstream connection. A 2xx body goes to the {@link BodySink}
 * buffer by buffer, straight from the network buffers on the event loop; any other answer's
 * body is read and dropped. The result completes, on {@code callbacks}, once the answer was read
 * to its end (or broke off), as the JDK client's {@code sendAsync} does; the connection then goes
 * back to {@link UpstreamChannels} when it can carry another request, and is closed otherwise.
 */
final class StreamExchange extends ChannelInboundHandlerAdapter implements Transfer {
  static final String NAME = "exchange";

  private final UpstreamChannels channels;
  private final HttpRequest request;
  private final Function<ResponseInfo, BodySink> onSuccess;
  private final Executor callbacks;
  private final CompletableFuture<UpstreamAnswer> result = new CompletableFuture<>();
  private Channel channel;
  private ScheduledFuture<?> timeout;
  /** Set when the sink limits how long its body may take. */
  private ScheduledFuture<?> bodyTimeout;
  private UpstreamAnswer answer;
  private BodySink sink;
  private boolean informational;
  private boolean keepAlive;
  private boolean done;
  /** What the sink wants last: the connection reads only while this is false. */
  private volatile boolean paused;
  private volatile boolean cancelled;

  private StreamExchange(UpstreamChannels channels, HttpRequest request, Function<ResponseInfo, BodySink> onSuccess,
      Executor callbacks) {
    this.channels = channels;
    this.request = request;
    this.onSuccess = onSuccess;
    this.callbacks = callbacks;
  }

  /**
   * Sends {@code request} (its method, URI, headers and timeout until the answer's headers) over a
   * connection from {@code channels}.
   */
  static CompletableFuture<UpstreamAnswer> send(UpstreamChannels channels, UpstreamChannels.Route route,
      HttpRequest request, Function<ResponseInfo, BodySink> onSuccess, Executor callbacks) {
    Channel idle = channels.pollIdle(route);
    if (idle == null) {
      return fresh(channels, route, request, onSuccess, callbacks);
    }
    // a kept connection the server may have closed meanwhile: once, on a new one, if it broke
    // before any answer (nothing of the body reached the sink then)
    return sendOn(CompletableFuture.completedFuture(idle), route, channels, request, onSuccess, callbacks)
        .handle((a, err) -> err == null ? CompletableFuture.completedFuture(a)
            : err instanceof StaleConnectionException
                ? fresh(channels, route, request, onSuccess, callbacks)
                : CompletableFuture.<UpstreamAnswer>failedFuture(err))
        .thenCompose(f -> f);
  }

  private static CompletableFuture<UpstreamAnswer> fresh(UpstreamChannels channels, UpstreamChannels.Route route,
      HttpRequest request, Function<ResponseInfo, BodySink> onSuccess, Executor callbacks) {
    return sendOn(channels.connect(route), route, channels, request, onSuccess, callbacks).exceptionallyCompose(e -> {
      Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
      return CompletableFuture.failedFuture(c instanceof StaleConnectionException ? new IOException(c.getMessage()) : c);
    });
  }

  /** Sends {@code request} on the connection {@code connection} brings (the way tests drive it too). */
  static CompletableFuture<UpstreamAnswer> sendOn(CompletableFuture<Channel> connection, UpstreamChannels.Route route,
      UpstreamChannels channels, HttpRequest request, Function<ResponseInfo, BodySink> onSuccess,
      Executor callbacks) {
    StreamExchange x = new StreamExchange(channels, request, onSuccess, callbacks);
    connection.whenComplete((ch, err) -> {
      if (err != null) {
        x.finish(null, err);
      } else {
        ch.eventLoop().execute(() -> x.start(ch, route));
      }
    });
    return x.result;
  }

  /** A kept connection that turned out closed before it carried any answer. */
  private static final class StaleConnectionException extends IOException {
    StaleConnectionException(String message) {
      super(message);
    }
  }

  private void start(Channel ch, UpstreamChannels.Route route) {
    channel = ch;
    if (!ch.isActive()) {
      done = true;
      finish(null, new StaleConnectionException("connection to " + request.uri().getHost() + " closed"));
      return;
    }
    if (ch.pipeline().get(UpstreamChannels.GUARD) != null) {
      ch.pipeline().addBefore(UpstreamChannels.GUARD, NAME, this);
    } else {
      ch.pipeline().addLast(NAME, this);
    }
    Duration limit = request.timeout().orElse(null);
    if (limit != null) {
      timeout = ch.eventLoop().schedule(() -> abort(new HttpTimeoutException("request timed out")),
          limit.toNanos(), TimeUnit.NANOSECONDS);
    }
    FullHttpRequest out = nettyRequest(request, route.absoluteForm());
    if (route.absoluteForm()) {
      try {
        String auth = channels.proxyAuthorization();
        if (auth != null) {
          out.headers().set(HttpHeaderNames.PROXY_AUTHORIZATION, auth);
        }
      } catch (IOException e) {
        out.release();
        abort(new IOException("cannot read the upstream proxy's password: " + e.getMessage(), e));
        return;
      }
    }
    ch.writeAndFlush(out).addListener(f -> {
      if (!f.isSuccess()) {
        abort(f.cause() instanceof IOException io ? io : new IOException(f.cause()));
      }
    });
  }

  static FullHttpRequest nettyRequest(HttpRequest request, boolean absoluteForm) {
    URI u = request.uri();
    String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
    String target = path + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
    String authority = u.getHost() + (u.getPort() >= 0 ? ":" + u.getPort() : "");
    if (absoluteForm) {
      target = u.getScheme() + "://" + authority + target;
    }
    FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(request.method()),
        target, Unpooled.EMPTY_BUFFER);
    r.headers().set(HttpHeaderNames.HOST, authority);
    request.headers().map().forEach((name, values) -> r.headers().add(name, values));
    return r;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (done) {
        return;
      }
      if (msg instanceof HttpResponse r) {
        headers(r);
      }
      if (!done && msg instanceof HttpContent c) {
        content(c);
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void headers(HttpResponse r) {
    if (r.decoderResult().isFailure()) {
      abort(new IOException("unreadable answer: " + r.decoderResult().cause().getMessage()));
      return;
    }
    int status = r.status().code();
    informational = status >= 100 && status < 200;
    if (informational) {
      return; // e.g. 100 Continue: the real answer follows
    }
    if (timeout != null) {
      timeout.cancel(false);
    }
    keepAlive = HttpUtil.isKeepAlive(r);
    answer = new UpstreamAnswer(status, javaHeaders(r.headers()), request.uri(), request);
    if (status >= 200 && status < 300 && !"HEAD".equals(request.method())) {
      try {
        sink = onSuccess.apply(answer);
        Duration bodyLimit = sink.bodyTimeout();
        if (bodyLimit != null) {
          bodyTimeout = channel.eventLoop().schedule(() -> abort(new HttpTimeoutException(
              "the answer's body did not arrive within " + bodyLimit.toMillis() + " ms")),
              bodyLimit.toNanos(), TimeUnit.NANOSECONDS);
        }
        sink.onStart(this);
      } catch (RuntimeException e) {
        abort(e);
      }
    }
  }

  private void content(HttpContent c) {
    if (c.decoderResult().isFailure()) {
      abort(new IOException("unreadable body: " + c.decoderResult().cause().getMessage()));
      return;
    }
    if (informational) {
      informational = !(c instanceof LastHttpContent);
      return;
    }
    if (sink != null && c.content().isReadable()) {
      if (cancelled) {
        return;
      }
      try {
        for (ByteBuffer b : c.content().nioBuffers()) {
          sink.onData(b);
        }
      } catch (IOException | RuntimeException e) {
        abort(e);
        return;
      }
    }
    if (c instanceof LastHttpContent) {
      done = true;
      cancelBodyTimeout();
      channel.pipeline().remove(this);
      if (keepAlive && !cancelled) {
        channel.config().setAutoRead(true); // a paused sink got its last bytes: the next request reads again
        channels.release(channel);
      } else {
        channel.close();
      }
      if (sink != null && !cancelled) {
        sink.onComplete();
      }
      complete();
    }
  }

  /** From the sink, any thread: stop reading until {@link #resume}. */
  @Override
  public void pause() {
    paused = true;
    applyPause();
  }

  /** From the sink, any thread: read on (setting auto-read asks for the next read). */
  @Override
  public void resume() {
    paused = false;
    applyPause();
  }

  /**
   * Makes the connection read or not as the latest {@link #pause}/{@link #resume} wants, on the
   * event loop, whatever order the calls' tasks run in; never once the answer is done (the
   * connection may carry another exchange by then).
   */
  private void applyPause() {
    Channel ch = channel;
    if (ch.eventLoop().inEventLoop()) {
      if (!done) {
        ch.config().setAutoRead(!paused);
      }
    } else {
      ch.eventLoop().execute(() -> {
        if (!done) {
          ch.config().setAutoRead(!paused);
        }
      });
    }
  }

  /** From the sink, any thread: stop reading and close the connection. */
  @Override
  public void cancel() {
    cancelled = true;
    Channel ch = channel;
    if (ch != null) {
      ch.eventLoop().execute(() -> {
        cancelBodyTimeout();
        if (!done) {
          done = true;
          ch.close();
          complete();
        }
      });
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    abort(answer == null ? new StaleConnectionException("connection closed before an answer")
        : new IOException("connection closed before the end of the body"));
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    abort(cause);
  }

  /** Ends a broken exchange: the connection is closed, the sink and the result told. */
  private void abort(Throwable cause) {
    if (done) {
      return;
    }
    done = true;
    if (timeout != null) {
      timeout.cancel(false);
    }
    cancelBodyTimeout();
    if (channel != null) {
      channel.close();
    }
    if (sink != null && !cancelled) {
      sink.onError(cause);
    }
    finish(null, cause);
  }

  private void cancelBodyTimeout() {
    if (bodyTimeout != null) {
      bodyTimeout.cancel(false);
      bodyTimeout = null;
    }
  }

  private void complete() {
    finish(answer, null);
  }

  private void finish(UpstreamAnswer a, Throwable err) {
    Runnable r = () -> {
      if (err != null) {
        result.completeExceptionally(err);
      } else {
        result.complete(a);
      }
    };
    try {
      callbacks.execute(r);
    } catch (RejectedExecutionException shuttingDown) {
      r.run();
    }
  }

  private static HttpHeaders javaHeaders(io.netty.handler.codec.http.HttpHeaders h) {
    Map<String, List<String>> m = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (Map.Entry<String, String> e : h) {
      m.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
    }
    return HttpHeaders.of(m, (a, b) -> true);
  }

  /** Status, headers and URI of an answer (its body went to the sink, or was dropped). */
  record UpstreamAnswer(int statusCode, HttpHeaders headers, URI uri, HttpRequest request)
      implements ResponseInfo, java.net.http.HttpResponse<Void> {
    @Override
    public HttpClient.Version version() {
      return HttpClient.Version.HTTP_1_1;
    }

    @Override
    public java.util.Optional<java.net.http.HttpResponse<Void>> previousResponse() {
      return java.util.Optional.empty();
    }

    @Override
    public Void body() {
      return null;
    }

    @Override
    public java.util.Optional<javax.net.ssl.SSLSession> sslSession() {
      return java.util.Optional.empty();
    }
  }
}
