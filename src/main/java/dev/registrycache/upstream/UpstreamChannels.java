package dev.registrycache.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * Netty connections to upstream hosts, on the cache's own event loops: host names are resolved
 * off the event loop, connections go through the configured proxy unless {@code NO_PROXY} names
 * the host (https tunnelled with {@code CONNECT}, plain http as absolute-form requests), https
 * checks the host name against the certificate, and a connection whose answer was read to the
 * end is kept for the next request to the same host for a while.
 */
final class UpstreamChannels implements AutoCloseable {
  /** Idle connections kept per host (and proxy and TLS setting). */
  static final int MAX_IDLE_PER_ROUTE = 8;
  /** An idle connection older than this is closed instead of reused. */
  static final long IDLE_NANOS = Duration.ofSeconds(30).toNanos();
  private static final AttributeKey<Route> ROUTE = AttributeKey.valueOf("registry-cache.route");
  static final String CODEC = "http";
  /** Last in every pipeline: what an idle connection receives (a reset, stray bytes) closes it. */
  static final String GUARD = "idle-guard";
  private static final IdleGuard IDLE_GUARD = new IdleGuard();

  /**
   * Where a connection goes: the origin, the proxy it passes (null: direct), the TLS settings of
   * the registry it was opened for.
   */
  record Route(String scheme, String host, int port, Proxy proxy, SslContext tls) {
    boolean https() {
      return "https".equals(scheme);
    }

    /** Plain http through a proxy: the request line carries the absolute URI. */
    boolean absoluteForm() {
      return proxy != null && !https();
    }
  }

  private record Idle(Channel channel, long since) {}

  private final EventLoopGroup group;
  private final Class<? extends SocketChannel> socketType;
  private final Executor resolver;
  private final int connectMillis;
  private final UpstreamProxySelector proxies;
  private final Map<Route, ConcurrentLinkedDeque<Idle>> idle = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * @param resolver runs the blocking name lookups
   * @param proxies null when no proxy is configured
   */
  UpstreamChannels(EventLoopGroup group, Class<? extends SocketChannel> socketType, Executor resolver,
      Duration connectTimeout, UpstreamProxySelector proxies) {
    this.group = group;
    this.socketType = socketType;
    this.resolver = resolver;
    this.connectMillis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
    this.proxies = proxies;
  }

  /** {@code Proxy-Authorization} of a plain-http request through the proxy, or {@code null}. */
  String proxyAuthorization() throws IOException {
    ProxyCredentials.Login login = proxies == null ? null : proxies.login(false);
    return login == null ? null : login.basic();
  }

  Route route(URI uri, SslContext tls) {
    boolean https = "https".equals(uri.getScheme());
    int port = uri.getPort() >= 0 ? uri.getPort() : https ? 443 : 80;
    Proxy proxy = null;
    if (proxies != null) {
      Proxy p = proxies.select(uri).get(0);
      proxy = p.type() == Proxy.Type.HTTP ? p : null;
    }
    return new Route(uri.getScheme(), uri.getHost(), port, proxy, https ? tls : null);
  }

  /** Marks {@code ch} as a connection for {@code route} (a kept connection is found by it). */
  static void attach(Channel ch, Route route) {
    ch.attr(ROUTE).set(route);
  }

  private static Route routeOf(Channel ch) {
    return ch.attr(ROUTE).get();
  }

  /** A new connection for {@code route}, ready for a request (connected, tunnelled, TLS done). */
  CompletableFuture<Channel> connect(Route route) {
    CompletableFuture<Channel> result = new CompletableFuture<>();
    try {
      resolver.execute(() -> connect(route, result));
    } catch (RuntimeException rejected) {
      result.completeExceptionally(new IOException("shutting down", rejected));
    }
    return result;
  }

  /** A kept connection for {@code route}, or null. */
  Channel pollIdle(Route route) {
    ConcurrentLinkedDeque<Idle> q = idle.get(route);
    if (q == null) {
      return null;
    }
    long now = System.nanoTime();
    for (Idle i; (i = q.pollFirst()) != null; ) {
      if (i.channel().isActive() && now - i.since() < IDLE_NANOS) {
        return i.channel();
      }
      i.channel().close();
    }
    return null;
  }

  /**
   * Takes back a connection whose last answer was read completely and may be reused; closes it
   * when too many are idle for its route already.
   */
  void release(Channel ch) {
    Route route = routeOf(ch);
    if (closed || route == null || !ch.isActive()) {
      ch.close();
      return;
    }
    ConcurrentLinkedDeque<Idle> q = idle.computeIfAbsent(route, r -> new ConcurrentLinkedDeque<>());
    if (q.size() >= MAX_IDLE_PER_ROUTE) {
      ch.close();
      return;
    }
    Idle i = new Idle(ch, System.nanoTime());
    q.addFirst(i);
    ch.closeFuture().addListener(f -> q.remove(i)); // closed by the server while idle
  }

  int idleCount() {
    int n = 0;
    for (ConcurrentLinkedDeque<Idle> q : idle.values()) {
      n += q.size();
    }
    return n;
  }

  /** Runs on the resolver executor: the lookup may block. */
  private void connect(Route route, CompletableFuture<Channel> result) {
    String dialHost = route.proxy() != null ? ((InetSocketAddress) route.proxy().address()).getHostString() : route.host();
    int dialPort = route.proxy() != null ? ((InetSocketAddress) route.proxy().address()).getPort() : route.port();
    InetSocketAddress dial;
    try {
      dial = new InetSocketAddress(InetAddress.getByName(unbracket(dialHost)), dialPort);
    } catch (UnknownHostException e) {
      result.completeExceptionally(e);
      return;
    } catch (RuntimeException e) {
      result.completeExceptionally(new IOException("cannot resolve " + dialHost + ": " + e.getMessage(), e));
      return;
    }
    boolean tunnel = route.proxy() != null && route.https();
    ProxyCredentials.Login login;
    try {
      login = tunnel ? proxies.login(true) : null;
    } catch (IOException e) {
      result.completeExceptionally(new IOException("cannot read the upstream proxy's password: " + e.getMessage(), e));
      return;
    }
    Bootstrap b = new Bootstrap()
        .group(group)
        .channel(socketType)
        .resolver(NoopAddressResolverGroup.INSTANCE) // resolved above, off the event loop
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectMillis)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            attach(ch, route);
            ChannelPipeline p = ch.pipeline();
            if (tunnel) {
              HttpProxyHandler proxy = login == null ? new HttpProxyHandler(dial)
                  : new HttpProxyHandler(dial, login.user(), login.password());
              proxy.setConnectTimeoutMillis(connectMillis);
              p.addLast("proxy", proxy);
            }
            if (route.https()) {
              p.addLast("tls", tlsHandler(ch, route));
            }
            p.addLast(CODEC, new HttpClientCodec());
            p.addLast(GUARD, IDLE_GUARD);
          }
        });
    // through a CONNECT tunnel the proxy handler dials the proxy and asks for host:port
    ChannelFuture cf = tunnel ? b.connect(InetSocketAddress.createUnresolved(unbracket(route.host()), route.port()))
        : b.connect(dial);
    cf.addListener(f -> {
      if (!f.isSuccess()) {
        result.completeExceptionally(connectFailure(f.cause(), dialHost));
        return;
      }
      Channel ch = cf.channel();
      ready(ch, tunnel, route.https(), result, dialHost);
    });
  }

  /** Completes once the tunnel is open and the TLS handshake done (each when there is one). */
  private static void ready(Channel ch, boolean tunnel, boolean https, CompletableFuture<Channel> result,
      String dialHost) {
    io.netty.util.concurrent.Future<Channel> step = tunnel
        ? ch.pipeline().get(HttpProxyHandler.class).connectFuture()
        : ch.eventLoop().newSucceededFuture(ch);
    step.addListener(t -> {
      if (!t.isSuccess()) {
        ch.close();
        result.completeExceptionally(connectFailure(t.cause(), dialHost));
        return;
      }
      if (!https) {
        result.complete(ch);
        return;
      }
      ch.pipeline().get(SslHandler.class).handshakeFuture().addListener(h -> {
        if (h.isSuccess()) {
          result.complete(ch);
        } else {
          ch.close();
          result.completeExceptionally(connectFailure(h.cause(), dialHost));
        }
      });
    });
  }

  private static SslHandler tlsHandler(SocketChannel ch, Route route) {
    SslHandler h = route.tls().newHandler(ch.alloc(), unbracket(route.host()), route.port());
    SSLEngine engine = h.engine();
    SSLParameters params = engine.getSSLParameters();
    params.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host
    engine.setSSLParameters(params);
    return h;
  }

  /** The status in Netty's message for a refused tunnel ({@code ..., status: 502 Bad Gateway}). */
  private static final java.util.regex.Pattern TUNNEL_STATUS = java.util.regex.Pattern.compile("status: (\\d{3})");

  private static IOException connectFailure(Throwable cause, String host) {
    if (cause instanceof HttpProxyHandler.HttpProxyConnectException refused && refused.getMessage() != null) {
      java.util.regex.Matcher m = TUNNEL_STATUS.matcher(refused.getMessage());
      if (m.find()) {
        return new ProxyTunnelRefused(Integer.parseInt(m.group(1)));
      }
    }
    if (cause instanceof io.netty.channel.ConnectTimeoutException
        || cause instanceof io.netty.handler.proxy.ProxyConnectException && cause.getMessage() != null
            && cause.getMessage().contains("timeout")) {
      return new HttpConnectTimeoutException("connect to " + host + " timed out");
    }
    if (cause instanceof IOException io) {
      return io;
    }
    return new IOException(cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage()), cause);
  }

  /**
   * Handles what reaches the end of a connection's pipeline, i.e. arrives while no exchange
   * uses it: a kept connection that errors or gets bytes nobody asked for is closed quietly.
   */
  @ChannelHandler.Sharable
  private static final class IdleGuard extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
      ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private static String unbracket(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  /** Closes the idle connections; connections in use close with their exchange. */
  @Override
  public void close() {
    closed = true;
    for (ConcurrentLinkedDeque<Idle> q : idle.values()) {
      for (Iterator<Idle> it = q.iterator(); it.hasNext(); ) {
        it.next().channel().close();
        it.remove();
      }
    }
  }
}
