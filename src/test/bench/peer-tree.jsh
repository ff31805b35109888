// The tree of owners at a size one machine cannot run: N simulated nodes in Z zones (directories
// only, no processes), K keys. Prints, per key, where requests go (hops, fan-out: the most peers
// one cache sends the key to, transfers from one zone into another: each node's single flight
// makes one transfer of what any number of its askers want) and what choosing an owner costs.
// Run by peer-tree.sh; arguments come as system properties.
import dev.registrycache.peer.*;
import java.time.*;
import java.util.*;

int n = Integer.getInteger("nodes", 5000);
int zones = Integer.getInteger("zones", 3);
int keys = Integer.getInteger("keys", 3);
List<Peer> peers = new ArrayList<>();
for (int i = 0; i < n; i++) {
  peers.add(new Peer("node-" + i, "10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255), 5003, "zone-" + (i % zones)));
}
PeerDirectory[] dirs = new PeerDirectory[n];
for (int i = 0; i < n; i++) {
  dirs[i] = new PeerDirectory(peers.get(i).host(), Clock.systemUTC(), Duration.ofSeconds(30));
  dirs[i].update(peers);
}
Map<String, Integer> index = new HashMap<>();
for (int i = 0; i < n; i++) index.put(peers.get(i).name(), i);
System.out.printf("%d nodes, %d zones, groups of up to %d%n", n, zones, PeerDirectory.GROUP);
for (int k = 0; k < keys; k++) {
  String key = "sha256:" + Integer.toHexString(0x5eed + k).repeat(8);
  Map<Integer, Set<Integer>> askedBy = new HashMap<>();
  int maxHops = 0;
  Set<Long> crossings = new HashSet<>();
  Set<Integer> ends = new HashSet<>();
  for (int i = 0; i < n; i++) {
    int at = i, hop = 0, hops = 0;
    while (true) {
      Optional<PeerDirectory.Next> next = dirs[at].next(key, hop);
      if (next.isEmpty()) break;
      int to = index.get(next.get().peer().name());
      askedBy.computeIfAbsent(to, x -> new HashSet<>()).add(at);
      if (!peers.get(to).zone().equals(peers.get(at).zone())) crossings.add((long) at << 32 | to);
      hop = next.get().hop();
      at = to;
      hops++;
    }
    ends.add(at);
    maxHops = Math.max(maxHops, hops);
  }
  int fanOut = askedBy.values().stream().mapToInt(Set::size).max().orElse(0);
  System.out.printf("key %d: upstream fetches %d, max hops %d, max fan-out %d peers, cross-zone transfers %d%n",
      k + 1, ends.size(), maxHops, fanOut, crossings.size());
}
long t0 = System.nanoTime();
int lookups = 20000;
long sink = 0;
for (int i = 0; i < lookups; i++) {
  sink += dirs[i % n].next("sha256:" + i, 0).map(x -> x.hop()).orElse(0);
}
double us = (System.nanoTime() - t0) / 1e3 / lookups;
System.out.printf("choosing where a key goes: %.1f us per lookup at %d nodes (%d)%n", us, n, sink % 2);
/exit
