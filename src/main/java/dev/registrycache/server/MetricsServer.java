package dev.registrycache.server;

import dev.registrycache.config.HostPort;
import dev.registrycache.metrics.AccessReviewer;
import dev.registrycache.metrics.CachedAccessReviews;
import dev.registrycache.metrics.SelfSignedCertificate;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /metrics} where Prometheus can reach it (the node's address), on the cache's event loops
 * beside the OCI endpoint. Secure by default, as controller-runtime's metrics are: TLS with a key
 * made at start ({@link SelfSignedCertificate}) and a bearer token that the API server confirms
 * and authorizes ({@link CachedAccessReviews}); or plain HTTP without tokens where the cluster
 * scrapes that way. Netty rather than the JDK's HttpServer of the loopback admin port, because
 * this port faces the network: bounded request lines and headers, idle connections closed, TLS on
 * the same stack, and no thread held by a slow client.
 */
public final class MetricsServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);
  static final Duration CERTIFICATE_VALIDITY = Duration.ofDays(3650);

  /**
   * Where and how: {@code reviewer} null serves plain HTTP to anyone; otherwise TLS and tokens.
   *
   * @param listen the node's address and the metrics port
   */
  public record Settings(HostPort listen, AccessReviewer reviewer) {
    public boolean secure() {
      return reviewer != null;
    }
  }

  private final Channel channel;
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private final boolean secure;
  private final CachedAccessReviews access;

  /**
   * @param scrape the text exposition of the meters whose names are given (all for an empty set),
   *     run on {@code worker}, never on an event loop
   */
  MetricsServer(Settings settings, EventLoops loops, Function<Set<String>, String> scrape, Executor worker)
      throws IOException, InterruptedException {
    SslContext tls = settings.secure() ? tls() : null;
    secure = tls != null;
    access = settings.secure() ? new CachedAccessReviews(settings.reviewer(), worker) : null;
    try {
      channel = new ServerBootstrap()
          .group(loops.group())
          .channel(loops.serverType())
          .option(ChannelOption.SO_REUSEADDR, true)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new MetricsServerInitializer(tls, access, scrape, worker, connections))
          .bind(new InetSocketAddress(settings.listen().host(), settings.listen().port()))
          .sync()
          .channel();
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("cannot listen on " + settings.listen() + " (metrics): " + e.getMessage(), e);
    }
    LOG.info("metrics on {} ({})", address(), secure ? "https, bearer token reviewed by the API server"
        : "plain http, no authentication");
  }

  private static SslContext tls() throws IOException {
    SelfSignedCertificate cert = SelfSignedCertificate.create("registry-cache-metrics", CERTIFICATE_VALIDITY);
    try {
      return SslContextBuilder.forServer(cert.key(), cert.certificate()).sslProvider(SslProvider.JDK)
          .protocols("TLSv1.3", "TLSv1.2").build();
    } catch (SSLException e) {
      throw new IOException("cannot set up TLS for the metrics port: " + e.getMessage(), e);
    }
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  public boolean secure() {
    return secure;
  }

  /** Token reviews asked of the API server so far (0 when plain). */
  public long reviews() {
    return access == null ? 0 : access.reviews();
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
