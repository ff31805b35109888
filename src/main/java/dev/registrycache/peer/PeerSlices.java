package dev.registrycache.peer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The ready peers an EndpointSlice lists (of the headless Service the operator makes for a
 * RegistryCache's cache pods): one per endpoint that is ready, named by its node, at its address
 * and the Service's peer port, in its zone. Works on the two versions of the API a cluster may
 * serve ({@code discovery.k8s.io/v1beta1} until Kubernetes 1.24, {@code v1} from 1.21): no I/O here.
 */
public final class PeerSlices {
  static final String ZONE = "topology.kubernetes.io/zone";
  static final String HOSTNAME = "kubernetes.io/hostname";

  private PeerSlices() {}

  /** From {@code discovery.k8s.io/v1} slices. */
  public static List<Peer> fromV1(Collection<io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice> slices,
      String portName) {
    List<Peer> out = new ArrayList<>();
    for (var s : slices) {
      Integer port = port(s.getPorts() == null ? List.of() : s.getPorts().stream()
          .map(p -> Map.entry(String.valueOf(p.getName()), p.getPort() == null ? -1 : p.getPort())).toList(), portName);
      if (port == null || s.getEndpoints() == null) {
        continue;
      }
      for (var e : s.getEndpoints()) {
        boolean ready = e.getConditions() == null || !Boolean.FALSE.equals(e.getConditions().getReady());
        if (ready && e.getNodeName() != null && e.getAddresses() != null && !e.getAddresses().isEmpty()) {
          out.add(new Peer(e.getNodeName(), e.getAddresses().get(0), port, e.getZone()));
        }
      }
    }
    return out;
  }

  /** From {@code discovery.k8s.io/v1beta1} slices (Kubernetes 1.20). */
  public static List<Peer> fromV1beta1(
      Collection<io.fabric8.kubernetes.api.model.discovery.v1beta1.EndpointSlice> slices, String portName) {
    List<Peer> out = new ArrayList<>();
    for (var s : slices) {
      Integer port = port(s.getPorts() == null ? List.of() : s.getPorts().stream()
          .map(p -> Map.entry(String.valueOf(p.getName()), p.getPort() == null ? -1 : p.getPort())).toList(), portName);
      if (port == null || s.getEndpoints() == null) {
        continue;
      }
      for (var e : s.getEndpoints()) {
        boolean ready = e.getConditions() == null || !Boolean.FALSE.equals(e.getConditions().getReady());
        Map<String, String> topology = e.getTopology() == null ? Map.of() : e.getTopology();
        String node = topology.get(HOSTNAME);
        if (ready && node != null && e.getAddresses() != null && !e.getAddresses().isEmpty()) {
          out.add(new Peer(node, e.getAddresses().get(0), port, topology.get(ZONE)));
        }
      }
    }
    return out;
  }

  private static Integer port(List<Map.Entry<String, Integer>> ports, String name) {
    return ports.stream().filter(p -> name.equals(p.getKey()) && p.getValue() > 0).map(Map.Entry::getValue)
        .findFirst().orElse(null);
  }
}
