package dev.registrycache.upstream;

import dev.registrycache.config.UpstreamProxy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Chooses the proxy for one upstream request the way curl and Go read {@code HTTPS_PROXY},
 * {@code HTTP_PROXY} and {@code NO_PROXY}: by the request's scheme, and directly for hosts that
 * {@code NO_PROXY} names (exact host or IP, a domain and its subdomains, {@code *} for all) and
 * for the node itself (localhost, loopback addresses).
 */
final class UpstreamProxySelector extends ProxySelector {
  private final Proxy https;
  private final Proxy http;
  private final List<String> noProxy = new ArrayList<>();

  UpstreamProxySelector(UpstreamProxy config) {
    this.https = proxy(config.httpsProxy());
    this.http = proxy(config.httpProxy());
    if (config.noProxy() != null) {
      for (String entry : config.noProxy().split(",")) {
        String e = entry.strip().toLowerCase(Locale.ROOT);
        if (!e.isEmpty()) {
          noProxy.add(e.startsWith("*.") ? e.substring(1) : e);
        }
      }
    }
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
    Proxy p = "https".equals(uri.getScheme()) ? https : http;
    if (p == null || bypass(uri.getHost())) {
      return List.of(Proxy.NO_PROXY);
    }
    return List.of(p);
  }

  boolean bypass(String host) {
    if (host == null) {
      return true;
    }
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.equals("localhost") || h.startsWith("127.") || h.equals("::1")) {
      return true;
    }
    for (String e : noProxy) {
      if (e.equals("*") || h.equals(e) || h.equals(e.startsWith(".") ? e.substring(1) : e)
          || h.endsWith(e.startsWith(".") ? e : "." + e)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
    // the request fails with ioe and is reported as an upstream error; nothing to remember
  }
}
