package dev.registrycache.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Owners are spread evenly, agree everywhere, and move only as far as they must when peers come and go. */
class RendezvousTest {
  private static List<Peer> peers(int n) {
    List<Peer> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Peer("node-" + i, "10.0.0." + i, 5003, ""));
    }
    return out;
  }

  private static String digest(int i) {
    return String.format("sha256:%064x", (long) i * 0x9e3779b97f4a7c15L);
  }

  @Test
  void ownersAreSpreadEvenly() {
    List<Peer> peers = peers(10);
    Map<String, Integer> owned = new HashMap<>();
    for (int i = 0; i < 100_000; i++) {
      owned.merge(Rendezvous.owner(digest(i), peers).orElseThrow().name(), 1, Integer::sum);
    }
    assertEquals(10, owned.size());
    owned.values().forEach(n -> assertTrue(n > 9_000 && n < 11_000, "about a tenth each: " + owned));
  }

  @Test
  void theOrderOfThePeersDoesNotMatter() {
    List<Peer> peers = peers(50);
    List<Peer> reversed = new ArrayList<>(peers);
    java.util.Collections.reverse(reversed);
    for (int i = 0; i < 1000; i++) {
      assertEquals(Rendezvous.owner(digest(i), peers), Rendezvous.owner(digest(i), reversed));
    }
  }

  @Test
  void aPeerLeavingMovesOnlyItsOwnKeysAndJoiningTakesOnlyAShare() {
    List<Peer> peers = peers(20);
    List<Peer> without = new ArrayList<>(peers);
    Peer gone = without.remove(7);
    int moved = 0;
    int wasGone = 0;
    for (int i = 0; i < 20_000; i++) {
      Peer before = Rendezvous.owner(digest(i), peers).orElseThrow();
      Peer after = Rendezvous.owner(digest(i), without).orElseThrow();
      if (!before.equals(after)) {
        moved++;
        assertEquals(gone, before, "only the keys of the peer that left move");
      }
      wasGone += before.equals(gone) ? 1 : 0;
    }
    assertEquals(wasGone, moved);
    assertTrue(moved > 600 && moved < 1400, "about 1/20 of the keys: " + moved);
  }

  @Test
  void noPeerNoOwner() {
    assertTrue(Rendezvous.owner(digest(1), List.of()).isEmpty());
  }
}
