package dev.registrycache.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Where a request goes: up the tree of owners (group, zone, cluster), at most three hops, never in
 * a circle, and no cache sends a key to more than about a group's worth of peers.
 */
class PeerDirectoryTest {
  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
  private final Clock clock = new Clock() {
    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now.get();
    }
  };

  private static List<Peer> cluster(String... zones) {
    List<Peer> out = new ArrayList<>();
    for (int i = 0; i < zones.length; i++) {
      out.add(new Peer("node-" + i, "10.0.0." + i, 5003, zones[i]));
    }
    return out;
  }

  private PeerDirectory at(List<Peer> peers, int self) {
    PeerDirectory d = new PeerDirectory(peers.get(self).host(), clock, Duration.ofSeconds(30));
    d.update(peers);
    return d;
  }

  /** Follows a request from {@code start}'s client to the node that goes upstream; returns the path. */
  private List<String> follow(List<Peer> peers, int start, String key) {
    return follow(peers, i -> at(peers, i), start, key);
  }

  private static List<String> follow(List<Peer> peers, java.util.function.IntFunction<PeerDirectory> node, int start,
      String key) {
    List<String> path = new ArrayList<>(List.of(peers.get(start).name()));
    PeerDirectory d = node.apply(start);
    int hop = 0;
    for (int guard = 0; guard < 5; guard++) {
      Optional<PeerDirectory.Next> next = d.next(key, hop);
      if (next.isEmpty()) {
        return path;
      }
      assertTrue(next.get().hop() > hop, "always up the tree: " + path);
      hop = next.get().hop();
      path.add(next.get().peer().name());
      d = node.apply(Integer.parseInt(next.get().peer().name().substring("node-".length())));
    }
    throw new AssertionError("a circle: " + path);
  }

  @Test
  void withoutZonesEveryNodeAsksTheOneOwnerWhichGoesUpstream() {
    List<Peer> peers = cluster("", "", "", "", "");
    String owner = Rendezvous.owner("sha256:ab", peers).orElseThrow().name();
    for (int i = 0; i < peers.size(); i++) {
      List<String> path = follow(peers, i, "sha256:ab");
      assertEquals(owner, path.get(path.size() - 1), path.toString());
      assertTrue(path.size() <= 2, "one hop at most: " + path);
    }
  }

  @Test
  void withZonesEveryZoneCrossesOnceAndAllEndAtTheSameOwner() {
    List<Peer> peers = cluster("a", "a", "a", "b", "b", "b", "c", "c");
    for (int k = 0; k < 200; k++) {
      String key = "sha256:" + k;
      String owner = Rendezvous.owner(key, peers).orElseThrow().name();
      for (int i = 0; i < peers.size(); i++) {
        List<String> path = follow(peers, i, key);
        assertEquals(owner, path.get(path.size() - 1), path.toString());
        assertTrue(path.size() <= 3, "two hops at most: " + path);
        for (int h = 1; h < path.size() - 1; h++) {
          String via = path.get(h);
          assertEquals(peers.get(i).zone(), peers.stream().filter(p -> p.name().equals(via)).findFirst()
              .orElseThrow().zone(), "the first hop stays in the zone: " + path);
        }
      }
    }
  }

  @Test
  void aPeerThatDidNotAnswerIsSkippedForAWhile() {
    List<Peer> peers = cluster("", "", "", "");
    PeerDirectory d = at(peers, 0);
    String key = "sha256:cd";
    Peer owner = Rendezvous.owner(key, peers).orElseThrow();
    if (owner.equals(peers.get(0))) {
      key = "sha256:ce";
      owner = Rendezvous.owner(key, peers).orElseThrow();
    }
    assertEquals(owner, d.next(key, 0).orElseThrow().peer());
    d.markDown(owner);
    Optional<PeerDirectory.Next> instead = d.next(key, 0);
    assertTrue(instead.isEmpty() || !instead.get().peer().equals(owner), "the next by weight, or upstream");
    now.set(now.get().plusSeconds(31));
    assertEquals(owner, d.next(key, 0).orElseThrow().peer(), "asked again after the pause");
  }

  /**
   * 2,100 nodes in three zones (33 groups of about 64 each): every request ends at the cluster's
   * owner in at most three hops, and no node is asked for a key by more than a group's worth of
   * peers: the fan-out stays bounded however large the cluster.
   */
  @Test
  void inALargeClusterNoCacheServesMoreThanAboutAGroup() {
    String[] zones = new String[2_100];
    for (int i = 0; i < zones.length; i++) {
      zones[i] = "zone-" + (i % 3);
    }
    List<Peer> peers = cluster(zones);
    PeerDirectory[] nodes = new PeerDirectory[peers.size()];
    for (int i = 0; i < nodes.length; i++) {
      nodes[i] = at(peers, i);
    }
    for (String key : List.of("sha256:large-1", "sha256:large-2")) {
      String owner = Rendezvous.owner(key, peers).orElseThrow().name();
      java.util.Map<String, java.util.Set<String>> askedBy = new java.util.HashMap<>();
      for (int i = 0; i < peers.size(); i++) {
        List<String> path = follow(peers, n -> nodes[n], i, key);
        assertEquals(owner, path.get(path.size() - 1), path.toString());
        assertTrue(path.size() <= 4, "three hops at most: " + path);
        for (int h = 1; h < path.size(); h++) {
          askedBy.computeIfAbsent(path.get(h), k -> new java.util.HashSet<>()).add(path.get(h - 1));
        }
      }
      int fanOut = askedBy.values().stream().mapToInt(java.util.Set::size).max().orElse(0);
      assertTrue(fanOut > 20 && fanOut <= 2 * PeerDirectory.GROUP, "most peers one cache serves: " + fanOut);
      long crossings = askedBy.entrySet().stream().mapToLong(e -> e.getValue().stream()
          .filter(from -> !zoneOf(peers, from).equals(zoneOf(peers, e.getKey()))).count()).sum();
      assertEquals(2, crossings, "a key crosses from each other zone into the owner's once");
    }
  }

  private static String zoneOf(List<Peer> peers, String name) {
    return peers.get(Integer.parseInt(name.substring("node-".length()))).zone();
  }

  @Test
  void aSingleNodeGoesUpstreamAsBefore() {
    List<Peer> alone = cluster("");
    assertEquals(Optional.empty(), at(alone, 0).next("sha256:ef", 0));
    PeerDirectory nobody = new PeerDirectory("10.0.0.9", clock, Duration.ofSeconds(30));
    assertEquals(Optional.empty(), nobody.next("sha256:ef", 0), "no peers known");
  }
}
