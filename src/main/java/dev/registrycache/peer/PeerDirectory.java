package dev.registrycache.peer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The caches of the same RegistryCache this one knows, as discovery last saw them (ready ones
 * only), and which of them to skip for a while because they did not answer. Decides where a
 * request for a key goes ({@link #next}): up a tree of owners, group, zone, cluster; a peer
 * marked down is skipped, so its keys go to the next one by weight, and this node goes upstream
 * itself when no one is left.
 */
public final class PeerDirectory {
  /** Nodes per group of a zone: what one cache at most sends a blob to, besides its own clients. */
  public static final int GROUP = 64;
  /** The levels of the tree, the {@link Peers#HOP} of a request asked at them. */
  public static final int GROUP_LEVEL = 1;
  public static final int ZONE = 2;
  public static final int CLUSTER = 3;
  private final String self;
  private final Clock clock;
  private final Duration skipFor;
  private volatile View view = View.of(List.of(), null);
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
    List<Peer> sorted = ready.stream().sorted(Comparator.comparing(Peer::name)).toList();
    view = View.of(sorted, sorted.stream().filter(this::isSelf).findFirst().orElse(null));
    down.keySet().retainAll(sorted.stream().map(Peer::name).toList());
  }

  /** Every ready peer discovery knows, this node included if it is ready. */
  public List<Peer> all() {
    return view.all;
  }

  public String self() {
    return self;
  }

  /** {@code peer} did not answer in time: skip it for a while. */
  public void markDown(Peer peer) {
    down.put(peer.name(), clock.instant().plus(skipFor));
  }

  /**
   * Where a request for {@code key} goes next. The peers form a tree of three levels: this node's
   * group within its zone (at most about {@link #GROUP} nodes), its zone, the cluster. A request
   * climbs it: to the key's owner among the group, from there to the owner among the zone, from
   * there to the owner of the cluster, which goes upstream; a level where this node is the owner
   * is passed. So upstream sees a key once, each zone's boundary is crossed once per zone, and no
   * cache sends a blob to more than about {@code GROUP} peers, or as many groups as its zone has,
   * or as many zones as the cluster has, whatever the number of nodes. A request only ever goes
   * up a level, so none can go in a circle, even while the nodes see different lists.
   *
   * @param hop the level the request has reached: 0 for a request of this node's own client, else
   *     what the sending peer put in {@link Peers#HOP}
   * @return the next peer and the level it is asked at; empty when this node is the one to go
   *     upstream (it owns the key at every level left, or no one else can be asked)
   */
  public Optional<Next> next(String key, int hop) {
    View v = view;
    long k = Rendezvous.hash(key);
    Set<String> skipped = skippedNow();
    for (int level = hop + 1; level <= CLUSTER; level++) {
      Rendezvous.Seeded members = v.levels[level - 1];
      Peer[] ps = members.peers;
      int owner = members.owner(k, skipped.isEmpty() ? i -> false
          : i -> skipped.contains(ps[i].name()) && !isSelf(ps[i]));
      if (owner >= 0 && !isSelf(ps[owner])) {
        return Optional.of(new Next(ps[owner], level));
      }
    }
    return Optional.empty();
  }

  /** The names of the peers being skipped now (usually none: then nothing is looked up per peer). */
  private Set<String> skippedNow() {
    if (down.isEmpty()) {
      return Set.of();
    }
    Instant now = clock.instant();
    down.entrySet().removeIf(e -> !e.getValue().isAfter(now));
    return Set.copyOf(down.keySet());
  }

  static int group(Peer p, int groups) {
    return (int) Long.remainderUnsigned(p.seed(), groups);
  }

  private boolean isSelf(Peer p) {
    return p.host().equals(self);
  }

  /** A peer to ask, and the level of the tree it is asked at (the {@link Peers#HOP} it is sent). */
  public record Next(Peer peer, int hop) {}

  /**
   * The peers as the three levels of the tree, worked out once per update: this node's group, its
   * zone, the cluster. Groups split a zone by each peer's seed into as few groups of at most about
   * {@link #GROUP} as it takes, counted from every ready peer of the zone, so that its nodes agree.
   * Until discovery lists this node (it is not ready yet) it has no zone or group: it asks the
   * cluster's owner.
   */
  private static final class View {
    final List<Peer> all;
    final Rendezvous.Seeded[] levels;

    private View(List<Peer> all, Rendezvous.Seeded[] levels) {
      this.all = all;
      this.levels = levels;
    }

    static View of(List<Peer> all, Peer me) {
      Rendezvous.Seeded cluster = Rendezvous.Seeded.of(all);
      if (me == null) {
        Rendezvous.Seeded none = Rendezvous.Seeded.of(List.of());
        return new View(all, new Rendezvous.Seeded[] {none, none, cluster});
      }
      List<Peer> zone = all.stream().filter(p -> p.zone().equals(me.zone())).toList();
      int groups = Math.max(1, (zone.size() + GROUP - 1) / GROUP);
      int mine = group(me, groups);
      List<Peer> group = zone.stream().filter(p -> group(p, groups) == mine).toList();
      return new View(all, new Rendezvous.Seeded[] {Rendezvous.Seeded.of(group), Rendezvous.Seeded.of(zone), cluster});
    }
  }
}
