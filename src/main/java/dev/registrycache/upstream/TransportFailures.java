package dev.registrycache.upstream;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.security.cert.CertificateException;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * Turns what a connection to an upstream throws for one request into an {@link UpstreamException} that
 * says, for people, which host (or proxy) failed and how: no Java class names, no URL query.
 */
final class TransportFailures {
  /** {@code sun.security.provider.certpath.SunCertPathBuilderException: } and the like. */
  private static final Pattern JAVA_CLASS =
      Pattern.compile("\\b(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error)\\b:?\\s*");

  private TransportFailures() {}

  /**
   * An {@link UpstreamException} for a request to {@code target} sent through {@code proxy}
   * (null or {@link Proxy#NO_PROXY}: direct) that failed with {@code e}; failures that are not
   * about the connection are returned as they are.
   */
  static Throwable describe(String registry, URI target, Proxy proxy, Throwable e) {
    Throwable t = find(e, IOException.class) != null ? find(e, IOException.class) : find(e, UnresolvedAddressException.class);
    if (t == null || find(e, UpstreamException.class) != null) {
      return e;
    }
    String host = target.getHost();
    String via = proxy == null || proxy.type() == Proxy.Type.DIRECT ? null : address(proxy);
    String through = via == null ? "" : " through the proxy " + via;
    ProxyTunnelRefused refused = find(e, ProxyTunnelRefused.class);
    if (refused != null && refused.status() == 407 && via != null) {
      return proxyWantsCredentials(registry, proxy);
    }
    String message;
    if (refused != null && via != null) {
      message = "the proxy " + via + " did not open a tunnel to " + host + " (it answered " + refused.status() + ")";
    } else if (t instanceof HttpConnectTimeoutException) {
      message = via == null ? "connecting to " + host + " timed out" : "connecting to the proxy " + via + " timed out";
    } else if (t instanceof HttpTimeoutException) {
      boolean body = t.getMessage() != null && t.getMessage().contains("body");
      message = host + (body ? " did not send its whole answer in time" : " did not answer in time") + through;
    } else if (find(t, SSLException.class) != null) {
      message = "TLS with " + host + " failed" + tlsReason(t, host);
    } else if (find(t, UnknownHostException.class) != null || find(t, UnresolvedAddressException.class) != null) {
      message = via == null ? "unknown host " + host : "unknown proxy host " + via;
    } else if (find(t, ConnectException.class) != null) {
      message = via == null ? "cannot connect to " + UpstreamUris.origin(target) : "cannot connect to the proxy " + via
          + " (for " + UpstreamUris.origin(target) + ")";
    } else {
      String m = forPeople(t.getMessage());
      message = "connection to " + host + through + " failed" + (m == null || m.isEmpty() ? "" : ": " + m);
    }
    return new UpstreamException(0, registry + ": " + message, t);
  }

  /** A {@code 407} from the proxy: it wants credentials the cache does not have, or refused the ones it sent. */
  static UpstreamException proxyWantsCredentials(String registry, Proxy proxy) {
    return new UpstreamException(0, registry + ": the proxy " + address(proxy)
        + " asks for credentials (407): none configured, or refused (upstreamProxy username and passwordFile)");
  }

  /** Whether {@code e} is a failed TLS handshake or session (metrics count those apart). */
  static boolean isTls(Throwable e) {
    return find(e, SSLException.class) != null;
  }

  private static String tlsReason(Throwable t, String host) {
    String why = forPeople(innermost(t).getMessage());
    String detail = why == null || why.isEmpty() ? "" : " (" + why + ")";
    if (find(t, CertificateException.class) == null) {
      return why == null || why.isEmpty() ? "" : ": " + why;
    }
    if (why != null && (why.contains("subject alternative") || why.contains("No name matching"))) {
      return ": its certificate is not valid for " + host + detail;
    }
    return ": its certificate is not trusted" + detail + "; for a private CA set caFile";
  }

  /** A JDK message without the class names some of them embed. */
  static String forPeople(String message) {
    return message == null ? null : JAVA_CLASS.matcher(message).replaceAll("").strip();
  }

  private static String address(Proxy p) {
    return p.address() instanceof InetSocketAddress a ? a.getHostString() + ":" + a.getPort() : String.valueOf(p.address());
  }

  private static <T extends Throwable> T find(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    return null;
  }

  private static Throwable innermost(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c;
  }
}
