package dev.registrycache.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.api.v1alpha1.RegistryCacheSpec;
import dev.registrycache.api.v1alpha1.RegistryCacheStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Status from the DaemonSet's counts and the pods that are not ready. */
class StatusModelTest {
  private static DaemonSet ds(int desired, int ready, int updated) {
    return new DaemonSetBuilder().withNewMetadata().withGeneration(3L).endMetadata()
        .withNewStatus().withDesiredNumberScheduled(desired).withNumberReady(ready)
        .withUpdatedNumberScheduled(updated).withObservedGeneration(3L).endStatus().build();
  }

  private static Pod pod(String name, String node, boolean ready, String waiting) {
    ContainerState state = waiting != null
        ? new ContainerStateBuilder().withNewWaiting().withReason(waiting).endWaiting().build()
        : new ContainerStateBuilder().withNewRunning().endRunning().build();
    return new PodBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewSpec().withNodeName(node).endSpec()
        .withNewStatus()
          .addNewCondition().withType("Ready").withStatus(ready ? "True" : "False").endCondition()
          .addNewContainerStatus().withState(state).endContainerStatus()
        .endStatus()
        .build();
  }

  private static Condition condition(RegistryCacheStatus s, String type) {
    return s.conditions.stream().filter(c -> c.getType().equals(type)).findFirst().orElseThrow();
  }

  @Test
  void allNodesCachingThenOneNotAndWhy() {
    RegistryCache rc = Specs.cache("main", new RegistryCacheSpec());
    RegistryCacheStatus ok = StatusModel.of(rc, ds(2, 2, 2), List.of(pod("a", "n1", true, null), pod("b", "n2", true, null)));
    assertEquals("2/2", ok.ready);
    assertEquals("AllNodesCaching", condition(ok, "Ready").getReason());
    assertEquals("UpToDate", condition(ok, "Progressing").getReason());
    rc.setStatus(ok);
    String since = condition(ok, "Ready").getLastTransitionTime();

    RegistryCacheStatus same = StatusModel.of(rc, ds(2, 2, 2), List.of(pod("a", "n1", true, null), pod("b", "n2", true, null)));
    assertEquals(ok, same, "nothing changed: nothing to write");

    RegistryCacheStatus bad = StatusModel.of(rc, ds(2, 1, 2),
        List.of(pod("a", "n1", true, null), pod("b", "n2", false, null)));
    Condition ready = condition(bad, "Ready");
    assertEquals("False", ready.getStatus());
    assertEquals("NodesNotCaching", ready.getReason());
    assertTrue(ready.getMessage().contains("n2 NodeNotConfigurable"), ready.getMessage());
    assertEquals("n2", bad.nodesNotCaching.get(0).node);
    assertEquals(since, condition(bad, "Degraded").getLastTransitionTime(), "Degraded did not flip: time kept");

    RegistryCacheStatus pull = StatusModel.of(rc, ds(2, 1, 1),
        List.of(pod("a", "n1", true, null), pod("b", "n2", false, "ImagePullBackOff")));
    assertEquals("PodNotReady", pull.nodesNotCaching.get(0).reason);
    assertTrue(pull.nodesNotCaching.get(0).message.contains("ImagePullBackOff"));
    assertEquals("True", condition(pull, "Progressing").getStatus());
  }

  @Test
  void noNodeSelected() {
    RegistryCacheStatus s = StatusModel.of(Specs.cache("main", new RegistryCacheSpec()), ds(0, 0, 0), List.of());
    assertEquals("NoNodesSelected", condition(s, "Ready").getReason());
    assertEquals("0/0", s.ready);
    assertEquals(StatusModel.DEFAULT_REGISTRIES, s.registries);
  }

  @Test
  void anOverlapMakesBothDegradedAndTheYoungerOneSaysWhyItHasNoNodes() {
    RegistryCache older = Specs.cache("first", new RegistryCacheSpec());
    older.getMetadata().setCreationTimestamp("2026-01-01T00:00:00Z");
    RegistryCache younger = Specs.cache("second", new RegistryCacheSpec());
    younger.getMetadata().setCreationTimestamp("2026-01-02T00:00:00Z");
    List<RegistryCache> all = List.of(older, younger);

    RegistryCacheStatus o = StatusModel.of(older, ds(2, 2, 2), List.of(pod("a", "n1", true, null),
        pod("b", "n2", true, null)), NodeSelection.of(older, all));
    assertEquals("AllNodesCaching", condition(o, "Ready").getReason(), "the older one keeps caching");
    assertEquals("True", condition(o, "Degraded").getStatus());
    assertEquals("NodeSelectionConflict", condition(o, "Degraded").getReason());
    assertTrue(condition(o, "Degraded").getMessage().contains("second"));

    RegistryCacheStatus y = StatusModel.of(younger, ds(0, 0, 0), List.of(), NodeSelection.of(younger, all));
    assertEquals("NodeSelectionConflict", condition(y, "Ready").getReason());
    assertTrue(condition(y, "Ready").getMessage().contains("first"), condition(y, "Ready").getMessage());
    assertEquals("True", condition(y, "Degraded").getStatus());
  }

  @Test
  void theCachesOwnReasonNamesTheNode() {
    Pod p = pod("b", "n2", false, null);
    p.getStatus().getConditions().add(NodeConfiguredCondition.of(false,
        "node cannot be configured: containerd: /etc/containerd/config.toml has no config_path", "2026-01-01T00:00:00Z"));
    RegistryCacheStatus s = StatusModel.of(Specs.cache("main", new RegistryCacheSpec()), ds(2, 1, 2),
        List.of(pod("a", "n1", true, null), p));
    assertEquals("n2", s.nodesNotCaching.get(0).node);
    assertEquals("NodeNotConfigurable", s.nodesNotCaching.get(0).reason);
    assertEquals("node cannot be configured: containerd: /etc/containerd/config.toml has no config_path",
        s.nodesNotCaching.get(0).message);
    assertTrue(condition(s, "Ready").getMessage().contains("n2 NodeNotConfigurable"));
  }
}
