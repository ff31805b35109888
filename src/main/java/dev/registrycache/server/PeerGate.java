package dev.registrycache.server;

import dev.registrycache.oci.DistributionRequest;
import dev.registrycache.oci.ErrorCode;
import dev.registrycache.oci.OciError;
import dev.registrycache.peer.PeerDirectory;
import dev.registrycache.peer.PeerToken;
import dev.registrycache.peer.Peers;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;

/**
 * What the peer endpoint lets through: requests that carry the token the caches share, for
 * blobs and manifests (and {@code /v2/}), and how far each has travelled. Anything else on the network is
 * refused before the request is even parsed: the peer port is no open registry.
 */
final class PeerGate {
  static final String REALM = "Bearer realm=\"registry-cache-peers\"";
  private final PeerToken token;

  PeerGate(PeerToken token) {
    this.token = token;
  }

  /** Null when the request may come in; otherwise the error to answer. */
  OciError refusal(HttpRequest req) {
    return token.accepts(req.headers().get(HttpHeaderNames.AUTHORIZATION)) ? null
        : new OciError(ErrorCode.UNAUTHORIZED, 401, "the peer endpoint serves only the caches of this RegistryCache");
  }

  /** Null when the parsed request is one peers make; otherwise the error to answer. */
  static OciError unsupported(DistributionRequest d) {
    return switch (d.kind()) {
      case BASE, BLOB, MANIFEST -> null;
      default -> new OciError(ErrorCode.UNSUPPORTED, 405, "the peer endpoint serves blobs and manifests only");
    };
  }

  /**
   * The level of the tree of owners the request was sent to (1 to 3); a request without a valid
   * one is taken as sent to the top, so it never goes to another peer.
   */
  static int hop(HttpRequest req) {
    String h = req.headers().get(Peers.HOP);
    return h != null && h.length() == 1 && h.charAt(0) >= '1' && h.charAt(0) <= '3' ? h.charAt(0) - '0'
        : PeerDirectory.CLUSTER;
  }
}
