package dev.registrycache.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.api.v1alpha1.RegistryCacheSpec;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Which nodes each of several RegistryCaches runs on: overlap decided from the selectors, the
 * older one keeping the nodes, and the node affinity that leaves them to it, checked against
 * nodes given as label maps (matched the way the scheduler matches node affinity).
 */
class NodeSelectionTest {
  private static RegistryCache cache(String name, String created, Map<String, String> selector) {
    RegistryCacheSpec spec = new RegistryCacheSpec();
    spec.nodeSelector = new LinkedHashMap<>(selector);
    RegistryCache rc = Specs.cache(name, spec);
    rc.getMetadata().setCreationTimestamp(created);
    return rc;
  }

  /** Node selector AND (any term: every requirement of it), as kube-scheduler evaluates them. */
  private static boolean runsOn(NodeSelection s, Map<String, String> node) {
    boolean selected = s.nodeSelector().entrySet().stream().allMatch(e -> e.getValue().equals(node.get(e.getKey())));
    if (!selected || s.leaveToOlder().isEmpty()) {
      return selected;
    }
    for (NodeSelectorTerm t : s.leaveToOlder()) {
      boolean all = true;
      for (NodeSelectorRequirement r : t.getMatchExpressions()) {
        assertEquals("NotIn", r.getOperator());
        all &= !r.getValues().contains(node.get(r.getKey()));
      }
      if (all) {
        return true;
      }
    }
    return false;
  }

  @Test
  void selectorsOverlapUnlessALabelDiffers() {
    assertTrue(NodeSelection.mayOverlap(Map.of("zone", "a"), Map.of("gpu", "true")));
    assertTrue(NodeSelection.mayOverlap(Map.of("zone", "a"), Map.of("zone", "a", "gpu", "true")));
    assertFalse(NodeSelection.mayOverlap(Map.of("zone", "a", "gpu", "true"), Map.of("zone", "b")));
    assertEquals(NodeSelection.DEFAULT_SELECTOR, NodeSelection.selector(new RegistryCacheSpec()),
        "no nodeSelector: every Linux node");
  }

  @Test
  void alone() {
    RegistryCache a = cache("a", "2026-01-01T00:00:00Z", Map.of());
    NodeSelection s = NodeSelection.of(a, List.of(a));
    assertFalse(s.conflicts());
    assertTrue(s.leaveToOlder().isEmpty(), "no affinity at all");
    assertEquals(Map.of("kubernetes.io/os", "linux"), s.nodeSelector());
  }

  @Test
  void disjointSelectorsDoNotConflict() {
    RegistryCache a = cache("a", "2026-01-01T00:00:00Z", Map.of("zone", "a"));
    RegistryCache b = cache("b", "2026-01-02T00:00:00Z", Map.of("zone", "b"));
    assertFalse(NodeSelection.of(a, List.of(a, b)).conflicts());
    assertFalse(NodeSelection.of(b, List.of(a, b)).conflicts());
  }

  @Test
  void theOlderKeepsTheNodesBothAreTold() {
    RegistryCache older = cache("zone-a", "2026-01-01T00:00:00Z", Map.of("zone", "a"));
    RegistryCache younger = cache("gpus", "2026-01-02T00:00:00Z", Map.of("gpu", "true"));
    NodeSelection o = NodeSelection.of(older, List.of(older, younger));
    NodeSelection y = NodeSelection.of(younger, List.of(younger, older));
    assertEquals(List.of("gpus"), o.youngerOverlapping());
    assertTrue(o.leaveToOlder().isEmpty(), "the older one runs on all its nodes");
    assertTrue(o.message().contains("gpus") && o.message().contains("keeps them"), o.message());
    assertEquals(List.of("zone-a"), y.olderOverlapping());
    assertTrue(y.message().contains("zone-a"), y.message());

    Map<String, String> gpuInA = Map.of("zone", "a", "gpu", "true");
    Map<String, String> gpuInB = Map.of("zone", "b", "gpu", "true");
    Map<String, String> gpuNoZone = Map.of("gpu", "true");
    assertTrue(runsOn(o, gpuInA));
    assertFalse(runsOn(y, gpuInA), "the node both select is left to the older");
    assertTrue(runsOn(y, gpuInB));
    assertTrue(runsOn(y, gpuNoZone), "a node without the label is not the older one's");
    assertFalse(runsOn(y, Map.of("zone", "b")), "its own selector still applies");
  }

  @Test
  void aYoungerSubsetGetsNoNodeAtAll() {
    RegistryCache all = cache("all", "2026-01-01T00:00:00Z", Map.of());
    RegistryCache linuxGpus = cache("linux-gpus", "2026-01-02T00:00:00Z",
        Map.of("kubernetes.io/os", "linux", "gpu", "true"));
    NodeSelection y = NodeSelection.of(linuxGpus, List.of(all, linuxGpus));
    assertFalse(y.leaveToOlder().isEmpty());
    assertFalse(runsOn(y, Map.of("kubernetes.io/os", "linux", "gpu", "true")));
    assertFalse(runsOn(y, Map.of("kubernetes.io/os", "linux", "gpu", "true", "zone", "a")));
  }

  @Test
  void severalOlderOnesAreAllLeftTheirNodes() {
    RegistryCache zoneA = cache("zone-a", "2026-01-01T00:00:00Z", Map.of("zone", "a"));
    RegistryCache ssd = cache("ssd", "2026-01-02T00:00:00Z", Map.of("disk", "ssd", "arch", "amd64"));
    RegistryCache rest = cache("rest", "2026-01-03T00:00:00Z", Map.of("kubernetes.io/os", "linux"));
    NodeSelection r = NodeSelection.of(rest, List.of(rest, ssd, zoneA));
    assertEquals(List.of("zone-a", "ssd"), r.olderOverlapping(), "oldest first");
    for (Map<String, String> node : nodes()) {
      boolean olderRuns = runsOn(NodeSelection.of(zoneA, List.of(zoneA, ssd, rest)), node)
          || runsOn(NodeSelection.of(ssd, List.of(zoneA, ssd, rest)), node);
      boolean linux = "linux".equals(node.get("kubernetes.io/os"));
      assertEquals(linux && !olderRuns, runsOn(r, node), "node " + node);
    }
  }

  /** Every combination of the labels the tests use (present with either value, or missing). */
  private static List<Map<String, String>> nodes() {
    Map<String, List<String>> labels = new LinkedHashMap<>();
    labels.put("kubernetes.io/os", List.of("linux", "windows"));
    labels.put("zone", List.of("a", "b"));
    labels.put("disk", List.of("ssd", "hdd"));
    labels.put("arch", List.of("amd64", "arm64"));
    List<Map<String, String>> out = new ArrayList<>(List.of(Map.of()));
    for (var e : labels.entrySet()) {
      List<Map<String, String>> next = new ArrayList<>();
      for (Map<String, String> n : out) {
        next.add(n);
        for (String v : e.getValue()) {
          Map<String, String> m = new LinkedHashMap<>(n);
          m.put(e.getKey(), v);
          next.add(m);
        }
      }
      out = next;
    }
    return out;
  }

  @Test
  void theSameSecondFallsBackToTheName() {
    RegistryCache b = cache("b", "2026-01-01T00:00:00Z", Map.of());
    RegistryCache a = cache("a", "2026-01-01T00:00:00Z", Map.of());
    assertEquals(List.of("a"), NodeSelection.of(b, List.of(a, b)).olderOverlapping());
    assertEquals(List.of("b"), NodeSelection.of(a, List.of(a, b)).youngerOverlapping());
  }

  @Test
  void tooManyOverlappingOlderOnesAreRefused() {
    List<RegistryCache> all = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      Map<String, String> sel = new LinkedHashMap<>();
      sel.put("a" + i, "x");
      sel.put("b" + i, "x");
      all.add(cache("old-" + i, "2026-01-01T00:00:0" + i + "Z", sel));
    }
    RegistryCache last = cache("last", "2026-01-02T00:00:00Z", Map.of());
    all.add(last);
    InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> NodeSelection.of(last, all));
    assertEquals(Conditions.NODE_SELECTION_CONFLICT, e.reason());
    assertTrue(e.getMessage().contains("too many"), e.getMessage());
    String names = all.stream().limit(6).map(rc -> rc.getMetadata().getName()).collect(Collectors.joining(", "));
    assertTrue(e.getMessage().contains(names), e.getMessage());
  }
}
