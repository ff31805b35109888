package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.api.v1alpha1.RegistryCacheSpec;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which nodes a RegistryCache runs on when several exist. Two node selectors may select the
 * same node unless some label key has different values in them; of two such RegistryCaches the
 * older one keeps the nodes, and the younger one's DaemonSet gets a node affinity that leaves
 * every node the older one selects to it. Decided from the selectors alone, so it needs no
 * permission on Nodes and does not change when nodes are relabelled.
 *
 * @param nodeSelector the effective node selector of the RegistryCache
 * @param olderOverlapping older RegistryCaches whose selection may overlap (they keep those nodes)
 * @param youngerOverlapping younger RegistryCaches whose selection may overlap (this one keeps them)
 * @param leaveToOlder node affinity terms (ORed) matching only nodes no older overlapping
 *     RegistryCache selects; empty when there is nothing to leave
 */
public record NodeSelection(Map<String, String> nodeSelector, List<String> olderOverlapping,
    List<String> youngerOverlapping, List<NodeSelectorTerm> leaveToOlder) {
  /** The node selector of a RegistryCache that names none. */
  public static final Map<String, String> DEFAULT_SELECTOR = Map.of("kubernetes.io/os", "linux");
  /** More affinity terms than this (many overlapping RegistryCaches) are refused. */
  static final int MAX_TERMS = 64;
  /** Older first: by creation time, then by name (what two objects created the same second fall back to). */
  static final Comparator<RegistryCache> AGE = Comparator
      .comparing((RegistryCache rc) -> Objects.toString(rc.getMetadata().getCreationTimestamp(), ""))
      .thenComparing(rc -> rc.getMetadata().getName());

  public NodeSelection {
    nodeSelector = Map.copyOf(nodeSelector);
    olderOverlapping = List.copyOf(olderOverlapping);
    youngerOverlapping = List.copyOf(youngerOverlapping);
    leaveToOlder = List.copyOf(leaveToOlder);
  }

  /** The selector a spec stands for: its own, or every Linux node. */
  public static Map<String, String> selector(RegistryCacheSpec spec) {
    return spec.nodeSelector == null || spec.nodeSelector.isEmpty() ? DEFAULT_SELECTOR : spec.nodeSelector;
  }

  /** True when some node could carry the labels of both selectors. */
  public static boolean mayOverlap(Map<String, String> a, Map<String, String> b) {
    for (Map.Entry<String, String> e : a.entrySet()) {
      String other = b.get(e.getKey());
      if (other != null && !other.equals(e.getValue())) {
        return false;
      }
    }
    return true;
  }

  /**
   * The selection of {@code rc} among {@code all} RegistryCaches (which may include {@code rc}).
   *
   * @throws InvalidSpecException when so many older RegistryCaches overlap that the affinity
   *     leaving their nodes would need more than {@value #MAX_TERMS} terms
   */
  public static NodeSelection of(RegistryCache rc, Collection<RegistryCache> all) {
    Map<String, String> mine = selector(rc.effectiveSpec());
    List<RegistryCache> others = all.stream()
        .filter(o -> !o.getMetadata().getName().equals(rc.getMetadata().getName()))
        .filter(o -> mayOverlap(mine, selector(o.effectiveSpec())))
        .sorted(AGE).toList();
    List<String> older = new ArrayList<>();
    List<String> younger = new ArrayList<>();
    List<Map<String, String>> olderSelectors = new ArrayList<>();
    for (RegistryCache o : others) {
      if (AGE.compare(o, rc) < 0) {
        older.add(o.getMetadata().getName());
        olderSelectors.add(selector(o.effectiveSpec()));
      } else {
        younger.add(o.getMetadata().getName());
      }
    }
    List<NodeSelectorTerm> terms = excluding(mine, olderSelectors);
    if (terms == null) {
      throw new InvalidSpecException(Conditions.NODE_SELECTION_CONFLICT, "the nodeSelector may select the nodes of "
          + older.size() + " older RegistryCaches (" + String.join(", ", older) + "): too many to leave their nodes"
          + " to them; give the RegistryCaches node selectors that differ in a label value");
    }
    return new NodeSelection(mine, older, younger, terms);
  }

  /**
   * Terms (ORed) of a node affinity matching the nodes that none of {@code older} selects: for
   * each older selector one of its labels must be missing or different ({@code NotIn}), i.e. the
   * conjunction over the older selectors of a disjunction over their labels, multiplied out.
   * Labels {@code mine} already pins to the older value cannot differ and are left out.
   *
   * @return the terms; empty when nothing is to be excluded; {@code null} when there would be
   *     more than {@value #MAX_TERMS}
   */
  static List<NodeSelectorTerm> excluding(Map<String, String> mine, List<Map<String, String>> older) {
    if (older.isEmpty()) {
      return List.of();
    }
    // each term: label key -> values the node's label must not have
    List<Map<String, Set<String>>> terms = List.of(new TreeMap<>());
    for (Map<String, String> o : older) {
      List<Map<String, Set<String>>> next = new ArrayList<>();
      for (Map<String, Set<String>> term : terms) {
        for (Map.Entry<String, String> label : new TreeMap<>(o).entrySet()) {
          if (label.getValue().equals(mine.get(label.getKey()))) {
            continue; // every node of ours has it: cannot tell the nodes apart by it
          }
          Map<String, Set<String>> t = new TreeMap<>();
          term.forEach((k, v) -> t.put(k, new TreeSet<>(v)));
          t.computeIfAbsent(label.getKey(), k -> new TreeSet<>()).add(label.getValue());
          next.add(t);
        }
      }
      terms = List.copyOf(new LinkedHashSet<>(next));
      if (terms.size() > MAX_TERMS) {
        return null;
      }
    }
    if (terms.isEmpty()) {
      // every node of ours is selected by an older one: a term none of our nodes matches
      Map.Entry<String, String> pinned = new TreeMap<>(mine).firstEntry();
      return List.of(new NodeSelectorTermBuilder().withMatchExpressions(new NodeSelectorRequirementBuilder()
          .withKey(pinned.getKey()).withOperator("NotIn").withValues(pinned.getValue()).build()).build());
    }
    List<NodeSelectorTerm> out = new ArrayList<>();
    for (Map<String, Set<String>> t : terms) {
      List<NodeSelectorRequirement> reqs = new ArrayList<>();
      t.forEach((k, v) -> reqs.add(new NodeSelectorRequirementBuilder().withKey(k).withOperator("NotIn")
          .withValues(new ArrayList<>(v)).build()));
      out.add(new NodeSelectorTermBuilder().withMatchExpressions(reqs).build());
    }
    return out;
  }

  /** True when this RegistryCache shares possible nodes with another one. */
  public boolean conflicts() {
    return !olderOverlapping.isEmpty() || !youngerOverlapping.isEmpty();
  }

  /** For the Degraded condition: which other RegistryCaches, and who keeps the nodes. */
  public String message() {
    List<String> parts = new ArrayList<>();
    if (!olderOverlapping.isEmpty()) {
      parts.add("the nodeSelector " + nodeSelector + " may select nodes of the older RegistryCache(s) "
          + String.join(", ", olderOverlapping) + ", which keep them: this one does not run there");
    }
    if (!youngerOverlapping.isEmpty()) {
      parts.add("the younger RegistryCache(s) " + String.join(", ", youngerOverlapping)
          + " may select nodes of this one, which keeps them");
    }
    return String.join("; ", parts) + " (give them node selectors that differ in a label value)";
  }
}
