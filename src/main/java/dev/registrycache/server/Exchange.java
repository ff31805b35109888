package dev.registrycache.server;

import dev.registrycache.config.RegistryConfig;
import dev.registrycache.oci.DistributionRequest;
import io.netty.handler.codec.http.HttpRequest;

/**
 * One request in progress on a connection: what is needed to log and count it at the end, and
 * what upstream said about this client's access to private content.
 */
final class Exchange {
  final HttpRequest request;
  final boolean head;
  final boolean keepAlive;
  final long startNanos = System.nanoTime();
  String registry;
  String kind = "other";
  String source;
  int status;
  /** How far a peer's request travelled (0: a client of this node). */
  int hop;
  long bytes;
  /** How many times the blob was looked up again after it vanished before its answer began. */
  int lookups;
  /** Counted and written to the access log already (a full answer is, before it is sent). */
  boolean logged;
  /**
   * The registry as this client reaches it, once upstream said it may have the private content
   * it asked for (with its own credentials, or anonymously after all); null before that.
   */
  RegistryConfig as;
  /** A private tag as the digest upstream named for this client, or null. */
  DistributionRequest resolved;

  Exchange(HttpRequest request, boolean keepAlive) {
    this.request = request;
    this.head = request.method().name().equals("HEAD");
    this.keepAlive = keepAlive;
  }
}
