package dev.registrycache.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the caches' own counters say over the last {@link #window}, gathered by the operator from
 * every cache pod's {@code /metrics}: bounded in size whatever the number of nodes.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CacheStatistics {
  @JsonPropertyDescription("The window the numbers cover, e.g. 1h (shorter right after the operator started: see since).")
  public String window;

  @JsonPropertyDescription("Start of the data the numbers cover (RFC 3339).")
  public String since;

  @JsonPropertyDescription("Blob requests answered from the nodes' disks, of all blob requests, e.g. 94% (- without "
      + "blob requests).")
  public String blobHitRatio;

  @JsonPropertyDescription("Blob bytes sent to clients from the nodes' disks, e.g. 12.3GiB: what did not come from "
      + "upstream.")
  public String servedFromCache;

  @JsonPropertyDescription("servedFromCache in bytes.")
  public Long servedFromCacheBytes;

  @JsonPropertyDescription("Body bytes sent to clients while they still arrived from upstream.")
  public Long servedFromUpstreamBytes;

  @JsonPropertyDescription("Blob requests (hits, misses, joins of a running download).")
  public Long blobRequests;

  @JsonPropertyDescription("Cache pods whose counters were read at the last gathering.")
  public Integer nodesReporting;

  @JsonPropertyDescription("Cache pods whose counters could not be read at the last gathering.")
  public Integer nodesNotReporting;

  @JsonPropertyDescription("How many caches each node's cache knows as peers, itself included, at the last "
      + "gathering: 5, or 3-5 when the nodes see different numbers (absent when the caches ask no peers).")
  public String peers;

  @JsonPropertyDescription("When the nodes see different numbers of peers: those that see the fewest (at most 5).")
  public List<NodePeers> fewestPeers;

  @JsonPropertyDescription("Per registry (at most 20, by bytes served from the disks).")
  public List<RegistryStatistics> registries = new ArrayList<>();

  @JsonPropertyDescription("The nodes with the lowest blob hit ratio among those with at least 10 blob requests "
      + "in the window (at most 5).")
  public List<NodeStatistics> worstNodes = new ArrayList<>();

  /** One registry's numbers over the window. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class RegistryStatistics {
    @JsonPropertyDescription("The registry.")
    public String name;
    @JsonPropertyDescription("Its blob hit ratio.")
    public String blobHitRatio;
    @JsonPropertyDescription("Its blob requests.")
    public Long blobRequests;
    @JsonPropertyDescription("Its bytes sent from the nodes' disks.")
    public String servedFromCache;

    @Override
    public boolean equals(Object o) {
      return o instanceof RegistryStatistics r && Objects.equals(name, r.name)
          && Objects.equals(blobHitRatio, r.blobHitRatio) && Objects.equals(blobRequests, r.blobRequests)
          && Objects.equals(servedFromCache, r.servedFromCache);
    }

    @Override
    public int hashCode() {
      return Objects.hash(name, blobRequests);
    }
  }

  /** One node's numbers over the window. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class NodeStatistics {
    @JsonPropertyDescription("The node.")
    public String node;
    @JsonPropertyDescription("Its blob hit ratio.")
    public String blobHitRatio;
    @JsonPropertyDescription("Its blob requests.")
    public Long blobRequests;

    @Override
    public boolean equals(Object o) {
      return o instanceof NodeStatistics n && Objects.equals(node, n.node)
          && Objects.equals(blobHitRatio, n.blobHitRatio) && Objects.equals(blobRequests, n.blobRequests);
    }

    @Override
    public int hashCode() {
      return Objects.hash(node, blobRequests);
    }
  }

  /** A node and the peers its cache knows. */
  public static class NodePeers {
    @JsonPropertyDescription("The node.")
    public String node;
    @JsonPropertyDescription("The caches it knows, itself included.")
    public Integer peers;

    public NodePeers() {}

    public NodePeers(String node, Integer peers) {
      this.node = node;
      this.peers = peers;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof NodePeers n && Objects.equals(node, n.node) && Objects.equals(peers, n.peers);
    }

    @Override
    public int hashCode() {
      return Objects.hash(node, peers);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CacheStatistics s && Objects.equals(window, s.window) && Objects.equals(since, s.since)
        && Objects.equals(blobHitRatio, s.blobHitRatio) && Objects.equals(servedFromCache, s.servedFromCache)
        && Objects.equals(servedFromCacheBytes, s.servedFromCacheBytes)
        && Objects.equals(servedFromUpstreamBytes, s.servedFromUpstreamBytes)
        && Objects.equals(blobRequests, s.blobRequests) && Objects.equals(nodesReporting, s.nodesReporting)
        && Objects.equals(nodesNotReporting, s.nodesNotReporting) && Objects.equals(registries, s.registries)
        && Objects.equals(worstNodes, s.worstNodes) && Objects.equals(peers, s.peers)
        && Objects.equals(fewestPeers, s.fewestPeers);
  }

  @Override
  public int hashCode() {
    return Objects.hash(blobRequests, servedFromCacheBytes);
  }
}
