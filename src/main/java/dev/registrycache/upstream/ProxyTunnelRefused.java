package dev.registrycache.upstream;

import java.io.IOException;

/** The proxy answered {@code CONNECT} with {@link #status()} instead of opening the tunnel. */
final class ProxyTunnelRefused extends IOException {
  private final int status;

  ProxyTunnelRefused(int status) {
    super("the proxy answered CONNECT with " + status);
    this.status = status;
  }

  int status() {
    return status;
  }
}
