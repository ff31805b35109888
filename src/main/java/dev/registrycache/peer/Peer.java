package dev.registrycache.peer;

import java.util.Objects;

/**
 * Another node's cache, as discovery sees it: its name (the node's, which is what the owner of a
 * key is chosen by, so an owner stays the owner across restarts of its pod), where its peer
 * endpoint listens, and its zone ({@code topology.kubernetes.io/zone}; empty when unknown).
 */
public record Peer(String name, String host, int port, String zone) {
  public Peer {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(host, "host");
    zone = zone == null ? "" : zone;
  }

  /** {@code host:port}, with brackets around an IPv6 address. */
  public String authority() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  /** The weight seed of this peer in {@link Rendezvous}: its name, mixed. */
  long seed() {
    return Rendezvous.mix(Rendezvous.hash(name));
  }
}
