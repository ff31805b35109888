package dev.registrycache.upstream;

import dev.registrycache.config.UpstreamProxy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.List;

/**
 * Chooses the proxy for one upstream request the way curl and Go read {@code HTTPS_PROXY},
 * {@code HTTP_PROXY} and {@code NO_PROXY}: by the request's scheme, and directly for the hosts
 * {@link NoProxy} lets through. The JDK client then tunnels https requests with {@code CONNECT}
 * and sends plain-http ones to the proxy in absolute form.
 */
final class UpstreamProxySelector extends ProxySelector {
  private final Proxy https;
  private final Proxy http;
  private final NoProxy noProxy;
  private final UpstreamProxy config;
  private final ProxyCredentials credentials;

  UpstreamProxySelector(UpstreamProxy config) {
    this.https = proxy(config.httpsProxy());
    this.http = proxy(config.httpProxy());
    this.noProxy = NoProxy.parse(config.noProxy());
    this.config = config;
    this.credentials = new ProxyCredentials(config);
  }

  /** What the proxy for https ({@code CONNECT}) or plain-http upstreams asks for; {@code null} when nothing. */
  ProxyCredentials.Login login(boolean httpsUpstream) throws java.io.IOException {
    return credentials.forProxy(httpsUpstream ? config.httpsProxy() : config.httpProxy());
  }

  private static Proxy proxy(String url) {
    if (url == null) {
      return null;
    }
    URI u = URI.create(url.contains("://") ? url : "http://" + url);
    if (u.getHost() == null) {
      throw new IllegalArgumentException("upstream proxy without a host: " + UpstreamProxy.redact(url));
    }
    int port = u.getPort() >= 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80;
    return new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(u.getHost(), port));
  }

  @Override
  public List<Proxy> select(URI uri) {
    Proxy p = proxyFor(uri);
    return List.of(p == null ? Proxy.NO_PROXY : p);
  }

  /** The proxy a request to {@code uri} goes through, or null when it goes direct. */
  Proxy proxyFor(URI uri) {
    boolean secure = "https".equalsIgnoreCase(uri.getScheme());
    Proxy p = secure ? https : http;
    int port = uri.getPort() >= 0 ? uri.getPort() : secure ? 443 : 80;
    return p == null || noProxy.bypass(uri.getHost(), port) ? null : p;
  }

  @Override
  public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
    // the request fails with ioe and is reported as an upstream error; nothing to remember
  }
}
