package dev.registrycache.peer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The caches of the same RegistryCache this one knows, as discovery last saw them (ready ones
 * only), and which of them to skip for a while because they did not answer. Decides who owns a
 * key: the owner among the peers of this node's zone (when the zone has any other), and the
 * owner among all; a peer marked down is skipped, so its keys go to the next one by weight, and
 * this node goes upstream itself when no one is left.
 */
public final class PeerDirectory {
  private final String self;
  /** This node's zone, as discovery lists this node (empty until it does, or when unknown). */
  private volatile String zone = "";
  private final Clock clock;
  private final Duration skipFor;
  private volatile List<Peer> peers = List.of();
  private final Map<String, Instant> down = new ConcurrentHashMap<>();

  /**
   * @param self this node's peer address (discovery lists it among the others when it is ready;
   *     it is recognised by its address, which the pod knows, rather than by a node name)
   * @param skipFor how long a peer that did not answer is skipped
   */
  public PeerDirectory(String self, Clock clock, Duration skipFor) {
    this.self = self;
    this.clock = clock;
    this.skipFor = skipFor;
  }

  /** Discovery's latest view (replaces the previous one). */
  public void update(List<Peer> ready) {
    peers = ready.stream().sorted(Comparator.comparing(Peer::name)).toList();
    zone = peers.stream().filter(this::isSelf).map(Peer::zone).findFirst().orElse(zone);
    down.keySet().retainAll(peers.stream().map(Peer::name).toList());
  }

  /** Every ready peer discovery knows, this node included if it is ready. */
  public List<Peer> all() {
    return peers;
  }

  public String self() {
    return self;
  }

  /** {@code peer} did not answer in time: skip it for a while. */
  public void markDown(Peer peer) {
    down.put(peer.name(), clock.instant().plus(skipFor));
  }

  /** The peers that are ready and not being skipped. */
  List<Peer> usable() {
    Instant now = clock.instant();
    down.entrySet().removeIf(e -> !e.getValue().isAfter(now));
    return peers.stream().filter(p -> !down.containsKey(p.name()) || isSelf(p)).toList();
  }

  /**
   * Where a request for {@code key} of a client of this node goes: to the owner within this zone,
   * then from there to the owner of the whole cluster. Empty: this node is the one to go upstream
   * (it owns the key, or no one else can be asked).
   *
   * @param hop 0 for a request of this node's own client, 1 for one a peer of this zone sent
   */
  public Optional<Peer> next(String key, int hop) {
    List<Peer> usable = usable();
    String zone = this.zone;
    if (hop == 0 && !zone.isEmpty()) {
      List<Peer> local = usable.stream().filter(p -> zone.equals(p.zone())).toList();
      Optional<Peer> zoneOwner = Rendezvous.owner(key, local);
      if (zoneOwner.isPresent() && !isSelf(zoneOwner.get())) {
        return zoneOwner;
      }
    }
    if (hop >= 2) {
      return Optional.empty();
    }
    Optional<Peer> owner = Rendezvous.owner(key, usable);
    return owner.filter(p -> !isSelf(p));
  }

  private boolean isSelf(Peer p) {
    return p.host().equals(self);
  }

  /** The hop number a request to the result of {@link #next} carries. */
  public int hopTo(Peer peer, int hop) {
    String zone = this.zone;
    return hop == 0 && !zone.isEmpty() && zone.equals(peer.zone()) ? 1 : 2;
  }
}
