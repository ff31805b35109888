package dev.registrycache.config;

import java.time.Duration;

/**
 * What the cache grants the clients that connect to it, so that idle or stalled connections
 * cannot hold its file descriptors.
 *
 * @param headerTimeout a connection must deliver a complete request header within this long of
 *     being opened, or of its previous answer being sent (nginx's {@code client_header_timeout})
 * @param sendTimeout an answer that makes no progress for this long (a client that stopped
 *     reading) is given up and its connection closed (nginx's {@code send_timeout})
 * @param maxConnections client connections at once; beyond, new ones get a {@code 503} and are closed
 */
public record ClientLimits(Duration headerTimeout, Duration sendTimeout, int maxConnections) {
  public static final ClientLimits DEFAULT = new ClientLimits(Duration.ofSeconds(60), Duration.ofMinutes(2), 1024);

  public ClientLimits {
    if (headerTimeout.isNegative() || headerTimeout.isZero()) {
      throw new IllegalArgumentException("clients.headerTimeout must be positive: " + headerTimeout);
    }
    if (sendTimeout.isNegative() || sendTimeout.isZero()) {
      throw new IllegalArgumentException("clients.sendTimeout must be positive: " + sendTimeout);
    }
    if (maxConnections < 1) {
      throw new IllegalArgumentException("clients.maxConnections must be at least 1: " + maxConnections);
    }
  }
}
