package dev.registrycache.server;

import dev.registrycache.metrics.CachedAccessReviews;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpContentCompressor;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** Orders the pipeline of one metrics connection: TLS, HTTP, idle timeout, compression, the handler. */
final class MetricsServerInitializer extends ChannelInitializer<SocketChannel> {
  static final String TLS = "tls";
  static final String CODEC = "http-codec";
  static final String AGGREGATOR = "aggregator";
  static final String IDLE = "idle";
  static final String IDLE_CLOSER = "idle-closer";
  static final String COMPRESSOR = "compressor";
  static final String HANDLER = "metrics";
  /** A scrape is a GET: no body worth the name. */
  static final int MAX_BODY_BYTES = 1024;
  /** Longer than any scrape interval, so Prometheus keeps its connection (and its TLS session). */
  static final long IDLE_SECONDS = 120;

  private final SslContext tls;
  private final CachedAccessReviews access;
  private final Function<Set<String>, String> scrape;
  private final Executor worker;
  private final ChannelGroup connections;

  MetricsServerInitializer(SslContext tls, CachedAccessReviews access, Function<Set<String>, String> scrape,
      Executor worker, ChannelGroup connections) {
    this.tls = tls;
    this.access = access;
    this.scrape = scrape;
    this.worker = worker;
    this.connections = connections;
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    connections.add(ch);
    ChannelPipeline p = ch.pipeline();
    if (tls != null) {
      p.addLast(TLS, tls.newHandler(ch.alloc()));
    }
    p.addLast(CODEC, new HttpServerCodec(CacheServerInitializer.MAX_LINE_BYTES, CacheServerInitializer.MAX_HEADER_BYTES,
        8192));
    p.addLast(AGGREGATOR, new HttpObjectAggregator(MAX_BODY_BYTES));
    p.addLast(IDLE, new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS));
    p.addLast(IDLE_CLOSER, new CacheServerInitializer.IdleCloser(() -> { }));
    p.addLast(COMPRESSOR, new HttpContentCompressor());
    p.addLast(HANDLER, new MetricsRequestHandler(access, scrape, worker));
  }
}
