package dev.registrycache.peer;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Optional;

/**
 * Rendezvous (highest random weight) hashing: the owner of a key among a set of peers is the one
 * whose weight for the key is highest. Every node computes the same owner from the same set
 * without talking to anyone, and when a peer joins or leaves only the keys it wins or held move
 * (about 1/N of them). A weight is one mixing step of the key's hash and the peer's seed, so
 * choosing among 5,000 peers costs some microseconds.
 */
public final class Rendezvous {
  private Rendezvous() {}

  /** The peer with the highest weight for {@code key}; ties (practically never) go to the smaller name. */
  public static Optional<Peer> owner(String key, Collection<Peer> peers) {
    Seeded s = Seeded.of(peers);
    int i = s.owner(hash(key), x -> false);
    return i < 0 ? Optional.empty() : Optional.of(s.peers[i]);
  }

  /** Peers with their seeds worked out once, for choosing among them often (a lookup is one mix per peer). */
  static final class Seeded {
    final Peer[] peers;
    private final long[] seeds;

    private Seeded(Peer[] peers) {
      this.peers = peers;
      this.seeds = new long[peers.length];
      for (int i = 0; i < peers.length; i++) {
        seeds[i] = peers[i].seed();
      }
    }

    static Seeded of(Collection<Peer> peers) {
      return new Seeded(peers.toArray(Peer[]::new));
    }

    /** The index of the owner of the key with hash {@code keyHash} among those not skipped, or -1. */
    int owner(long keyHash, java.util.function.IntPredicate skip) {
      int best = -1;
      long bestWeight = 0;
      for (int i = 0; i < seeds.length; i++) {
        long w = mix(keyHash ^ seeds[i]);
        if ((best < 0 || Long.compareUnsigned(w, bestWeight) > 0
            || w == bestWeight && peers[i].name().compareTo(peers[best].name()) < 0) && !skip.test(i)) {
          best = i;
          bestWeight = w;
        }
      }
      return best;
    }
  }

  /** FNV-1a over the UTF-8 bytes: stable across JVMs and versions (unlike String.hashCode's spread). */
  static long hash(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }

  /** SplitMix64's finalizer: every input bit moves every output bit. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
