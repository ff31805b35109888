package dev.registrycache.cache;

import dev.registrycache.config.RegistryConfig;
import dev.registrycache.metrics.CacheMetrics;
import dev.registrycache.oci.DistributionRequest;
import dev.registrycache.oci.MediaTypes;
import dev.registrycache.peer.Peer;
import dev.registrycache.peer.PeerDirectory;
import dev.registrycache.peer.Peers;
import dev.registrycache.upstream.UpstreamClient;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where the cache asks for a manifest it does not have, or a tag it must confirm: the cache that
 * owns the tag (or digest) among its peers, when another one does, else upstream. The owner
 * answers from its own cache and asks upstream only when it must, so the cluster asks upstream
 * once per tag per TTL. It says how long ago upstream confirmed the tag ({@code Age}), so every
 * node trusts a tag for the TTL from that moment, not from when it heard of it. A peer that
 * cannot be reached in the connect timeout (skipped for a while then), does not answer in time,
 * or answers anything but {@code 200} or {@code 404} is passed over for upstream.
 */
final class ManifestSource {
  /** An answer, and when upstream last confirmed what it says ({@link System#currentTimeMillis()}). */
  record Answer(UpstreamClient.Response response, long checkedAtMillis) {}

  private final UpstreamClient upstream;
  private final CacheMetrics metrics;
  private volatile Peers peers;

  ManifestSource(UpstreamClient upstream, CacheMetrics metrics) {
    this.upstream = upstream;
    this.metrics = metrics;
  }

  void usePeers(Peers p) {
    this.peers = p;
  }

  /**
   * GET (or HEAD) the manifest {@code req} names, asked with every type the cache stores.
   *
   * @param hop 0 for a request of this node's clients, 1 or 2 for a peer's (see {@link Peers#owner})
   */
  CompletableFuture<Answer> fetch(RegistryConfig reg, DistributionRequest req, boolean head, int maxBytes, int hop) {
    Peers p = peers;
    // a client's own credentials go to upstream only, never through a peer
    Optional<PeerDirectory.Next> owner = p == null || reg.isCaller() ? Optional.empty() : p.owner(key(req), hop);
    if (owner.isEmpty()) {
      return fromUpstream(reg, req, head, maxBytes);
    }
    Peer o = owner.get().peer();
    Map<String, String> headers = new HashMap<>(p.headers(owner.get()));
    headers.put("Accept", MediaTypes.UPSTREAM_ACCEPT);
    long asked = System.currentTimeMillis();
    return p.transport().fetch(p.uri(o, reg.name(), req.repository() + "/manifests/" + req.reference()), head,
        headers, p.headersWithin(), maxBytes).handle((r, err) -> {
          if (err == null && (r.status() == 200 || r.status() == 404) && !r.tooLarge()) {
            metrics.peerFetch("manifest", "fetched");
            return CompletableFuture.completedFuture(new Answer(r, checkedAt(r.header("Age"), asked)));
          }
          String why = err != null ? PeerFetch.reason(err) : "status-" + r.status();
          if ("unreachable".equals(why)) {
            p.directory().markDown(o);
          }
          metrics.peerFetch("manifest", why);
          return fromUpstream(reg, req, head, maxBytes);
        }).thenCompose(f -> f);
  }

  private CompletableFuture<Answer> fromUpstream(RegistryConfig reg, DistributionRequest req, boolean head,
      int maxBytes) {
    long asked = System.currentTimeMillis();
    return upstream.fetch(reg, req.repository(), "/v2/" + req.repository() + "/manifests/" + req.reference(),
        MediaTypes.UPSTREAM_ACCEPT, head, maxBytes).thenApply(r -> new Answer(r, asked));
  }

  /** What a manifest's owner is found by: its digest (as a blob's), or its registry, repository and tag. */
  static String key(DistributionRequest req) {
    return req.byDigest() ? req.digest().toString()
        : req.registry() + "/" + req.repository() + ":" + req.reference();
  }

  /**
   * When upstream confirmed a peer's answer: {@code age} seconds (its {@code Age} header, counted
   * on the peer's clock, so no clock needs to agree) before it was asked. No or a malformed
   * header: when it was asked.
   */
  static long checkedAt(String age, long askedMillis) {
    if (age == null || !age.matches("\\d{1,9}")) {
      return askedMillis;
    }
    return askedMillis - Long.parseLong(age) * 1000;
  }
}
