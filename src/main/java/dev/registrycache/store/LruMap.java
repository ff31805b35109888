package dev.registrycache.store;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiPredicate;

/**
 * A thread-safe map that holds at most {@code maxEntries}, dropping the least recently used
 * entry beyond that: for in-memory state whose keys come from clients (tags, unknown tags), so
 * that no sequence of requests can grow it without bound.
 */
public final class LruMap<K, V> {
  private final int maxEntries;
  private final LinkedHashMap<K, V> map;

  public LruMap(int maxEntries) {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be positive: " + maxEntries);
    }
    this.maxEntries = maxEntries;
    this.map = new LinkedHashMap<>(Math.min(maxEntries, 1024), 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > LruMap.this.maxEntries;
      }
    };
  }

  public synchronized V get(K key) {
    return map.get(key);
  }

  public synchronized void put(K key, V value) {
    map.put(key, value);
  }

  public synchronized void remove(K key) {
    map.remove(key);
  }

  public synchronized void remove(K key, V value) {
    map.remove(key, value);
  }

  /** Removes every entry {@code expired} says is over; returns how many went. */
  public synchronized int removeIf(BiPredicate<K, V> expired) {
    int before = map.size();
    map.entrySet().removeIf(e -> expired.test(e.getKey(), e.getValue()));
    return before - map.size();
  }

  public synchronized int size() {
    return map.size();
  }
}
