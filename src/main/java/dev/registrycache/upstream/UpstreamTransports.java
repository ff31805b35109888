package dev.registrycache.upstream;

import dev.registrycache.config.CacheConfig;
import dev.registrycache.config.RegistryConfig;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.ResponseInfo;
import java.security.GeneralSecurityException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a request reaches an upstream: Netty connections on the cache's event loops, with each
 * registry's TLS settings (the JVM's trust, plus its caFile, or no checks) and the configured
 * proxy.
 */
final class UpstreamTransports implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(UpstreamTransports.class);

  /** TLS with the JVM's trust; registries with a caFile or no TLS checks have their own. */
  private final SslContext tls;
  private final Map<String, SslContext> tlsPerRegistry = new HashMap<>();
  private final UpstreamChannels channels;
  private final ExecutorService executor;

  /**
   * @param executor runs name lookups and the completion of every exchange (what follows an
   *     answer may block: redirect checks resolve names)
   * @param proxies null when every request goes direct
   */
  UpstreamTransports(CacheConfig config, ExecutorService executor, EventLoopGroup loops,
      Class<? extends SocketChannel> socketType, UpstreamProxySelector proxies) {
    this.executor = executor;
    try {
      this.tls = netty(SSLContext.getDefault());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no TLS in this JVM: " + e.getMessage(), e);
    }
    for (RegistryConfig r : config.registries()) {
      if (r.caFile() != null || r.skipsTlsVerification()) {
        SSLContext own;
        try {
          own = UpstreamTls.context(r.caFile(), r.skipsTlsVerification());
        } catch (IOException | GeneralSecurityException e) {
          throw new IllegalArgumentException("registry " + r.name() + ": caFile " + r.caFile() + ": " + e.getMessage(), e);
        }
        tlsPerRegistry.put(r.name(), netty(own));
        if (r.skipsTlsVerification()) {
          LOG.warn("registry {}: TLS certificates are NOT verified (insecureSkipVerify)", r.name());
        }
      }
    }
    this.channels = new UpstreamChannels(loops, socketType, executor, config.connectTimeout(), proxies);
  }

  private static SslContext netty(SSLContext tls) {
    return new JdkSslContext(tls, true, ClientAuth.NONE);
  }

  /**
   * Sends one request on a Netty connection; a 2xx body goes to the sink {@code onSuccess}
   * makes. Completes on the executor once the answer was read to its end.
   */
  CompletableFuture<HttpResponse<Void>> stream(RegistryConfig reg, HttpRequest request,
      Function<ResponseInfo, BodySink> onSuccess) {
    SslContext own = tlsPerRegistry.getOrDefault(reg.name(), tls);
    return StreamExchange.send(channels, channels.route(request.uri(), own), request, onSuccess, executor)
        .thenApply(a -> a);
  }

  /** Closes the kept connections. */
  @Override
  public void close() {
    channels.close();
  }
}
