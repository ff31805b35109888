package dev.registrycache.peer;

import dev.registrycache.upstream.PeerTransport;
import java.net.URI;
import java.util.Map;
import java.util.Optional;

/**
 * What a cache needs to ask its peers: who they are ({@link PeerDirectory}), the token they
 * share ({@link PeerToken}), a transport to reach them, and how long a peer may take to answer
 * (it answers once its own source did). A request to a peer names the
 * registry in its path (as path-prefix clients do) and carries how many hops it has made.
 */
public record Peers(PeerDirectory directory, PeerToken token, PeerTransport transport,
    java.time.Duration headersWithin) {
  /**
   * The header that says which level of the tree of owners a request is asked at (1: group,
   * 2: zone, 3: cluster; see {@link PeerDirectory#next}).
   */
  public static final String HOP = "X-Registry-Cache-Hop";

  /** The peer a blob or tag goes to first, if another one owns it (see {@link PeerDirectory#next}). */
  public Optional<PeerDirectory.Next> owner(String key, int hop) {
    return token.current() == null ? Optional.empty() : directory.next(key, hop);
  }

  public URI uri(Peer p, String registry, String path) {
    return URI.create("http://" + p.authority() + "/v2/" + registry + "/" + path);
  }

  /** The headers of a request to the peer {@link #owner} named. */
  public Map<String, String> headers(PeerDirectory.Next to) {
    return Map.of("Authorization", "Bearer " + token.current(), HOP, String.valueOf(to.hop()));
  }
}
