package dev.registrycache.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.api.v1alpha1.NodeProblem;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Status from the DaemonSet's counts, the pods (kubelet's state and the cache's node condition),
 * the nodes the image leaves out and the DaemonSet controller's FailedCreate event.
 */
class StatusModelTest {
  static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  static final String LONG_AGO = "2026-06-01T11:00:00Z";
  static final String JUST_NOW = "2026-06-01T11:59:50Z";

  private static DaemonSet ds(int desired, int updated) {
    return new DaemonSetBuilder().withNewMetadata().withName("registry-cache-main").withGeneration(3L).endMetadata()
        .withNewStatus().withDesiredNumberScheduled(desired).withUpdatedNumberScheduled(updated)
        .withObservedGeneration(3L).endStatus().build();
  }

  /** A cache pod of template generation 3 on {@code node}, created and started long ago. */
  private static PodBuilder pod(String name, String node) {
    return new PodBuilder().withNewMetadata().withName(name).withCreationTimestamp(LONG_AGO)
        .withLabels(Map.of(PodState.TEMPLATE_GENERATION, "3")).endMetadata()
        .withNewSpec().withNodeName(node).endSpec();
  }

  /** Ready (the cache serves) since {@code since}, with the cache's node condition if {@code configured} is not null. */
  private static Pod serving(String name, String node, Boolean configured, String since) {
    PodBuilder b = pod(name, node).withNewStatus()
        .addNewCondition().withType("Ready").withStatus("True").withLastTransitionTime(since).endCondition()
        .addNewContainerStatus().withState(running(LONG_AGO)).withRestartCount(0).endContainerStatus()
        .endStatus();
    Pod p = b.build();
    if (configured != null) {
      p.getStatus().getConditions().add(NodeConfiguredCondition.of(configured,
          configured ? "mirror entries in place" : "node cannot be configured: containerd: no config_path", LONG_AGO));
    }
    return p;
  }

  private static Pod caching(String name, String node) {
    return serving(name, node, true, LONG_AGO);
  }

  private static Pod waiting(String name, String node, String reason) {
    return pod(name, node).withNewStatus()
        .addNewCondition().withType("Ready").withStatus("False").endCondition()
        .addNewContainerStatus().withState(new ContainerStateBuilder().withNewWaiting().withReason(reason)
            .withMessage("the reason's details").endWaiting().build()).withRestartCount(0).endContainerStatus()
        .endStatus().build();
  }

  private static Pod runningNotReady(String name, String node, String startedAt) {
    return pod(name, node).withNewStatus()
        .addNewCondition().withType("Ready").withStatus("False").endCondition()
        .addNewContainerStatus().withState(running(startedAt)).withRestartCount(0).endContainerStatus()
        .endStatus().build();
  }

  private static ContainerState running(String since) {
    return new ContainerStateBuilder().withNewRunning().withStartedAt(since).endRunning().build();
  }

  private static RegistryCacheStatus status(RegistryCache rc, DaemonSet ds, List<Pod> pods) {
    return StatusModel.of(rc, ds, pods, NodeSelection.of(rc, List.of()), StatusModel.Cluster.NONE, NOW);
  }

  private static Condition condition(RegistryCacheStatus s, String type) {
    return s.conditions.stream().filter(c -> c.getType().equals(type)).findFirst().orElseThrow();
  }

  @Test
  void allNodesCachingThenOneCannotConfigureItsRuntime() {
    RegistryCache rc = Specs.cache("main", new RegistryCacheSpec());
    RegistryCacheStatus ok = status(rc, ds(2, 2), List.of(caching("a", "n1"), caching("b", "n2")));
    assertEquals("2/2", ok.ready);
    assertEquals("AllNodesCaching", condition(ok, "Ready").getReason());
    assertEquals("UpToDate", condition(ok, "Progressing").getReason());
    assertEquals("False", condition(ok, "Degraded").getStatus());
    rc.setStatus(ok);
    String since = condition(ok, "Ready").getLastTransitionTime();
    assertEquals(ok, status(rc, ds(2, 2), List.of(caching("a", "n1"), caching("b", "n2"))), "nothing to write");

    // the pod is ready (the cache serves) but says its node's runtime does not use it
    RegistryCacheStatus bad = status(rc, ds(2, 2), List.of(caching("a", "n1"), serving("b", "n2", false, LONG_AGO)));
    assertEquals("1/2", bad.ready, "ready pods count only when their node is configured");
    Condition ready = condition(bad, "Ready");
    assertEquals("False", ready.getStatus());
    assertEquals("NodesNotCaching", ready.getReason());
    assertTrue(ready.getMessage().contains("n2 NodeNotConfigurable"), ready.getMessage());
    assertEquals("n2", bad.nodesNotCaching.get(0).node);
    assertEquals("node cannot be configured: containerd: no config_path", bad.nodesNotCaching.get(0).message);
    assertEquals("UpToDate", condition(bad, "Progressing").getReason(), "such a node does not hold up a rollout");
    assertEquals("False", condition(bad, "Degraded").getStatus());
    assertEquals(since, condition(bad, "Degraded").getLastTransitionTime(), "Degraded did not flip: time kept");
  }

  @Test
  void aHealthyStartIsUnknownNotAWarning() {
    RegistryCache rc = Specs.cache("main", new RegistryCacheSpec());
    // the DaemonSet controller has not taken up the spec yet
    DaemonSet fresh = new DaemonSetBuilder().withNewMetadata().withGeneration(1L).endMetadata().build();
    RegistryCacheStatus s = status(rc, fresh, List.of());
    assertEquals("Unknown", condition(s, "Ready").getStatus());
    assertEquals(Conditions.STARTING, condition(s, "Ready").getReason());
    assertEquals("True", condition(s, "Progressing").getStatus());
    assertEquals("False", condition(s, "Degraded").getStatus());
    assertEquals("Unknown", condition(status(rc, null, List.of()), "Ready").getStatus(), "no DaemonSet yet");

    // scheduled pods being created, a JVM starting, a cache that has not reported its node yet
    Pod creating = waiting("a", "n1", "ContainerCreating");
    creating.getMetadata().setCreationTimestamp(JUST_NOW);
    List<Pod> pods = List.of(creating, runningNotReady("b", "n2", JUST_NOW), serving("c", "n3", null, JUST_NOW),
        caching("d", "n4"));
    RegistryCacheStatus starting = status(rc, ds(4, 4), pods);
    assertEquals("Unknown", condition(starting, "Ready").getStatus(), condition(starting, "Ready").getMessage());
    assertEquals("1/4", starting.ready);
    assertTrue(starting.nodesNotCaching.isEmpty(), "nothing is wrong yet: " + starting.nodesNotCaching);
    assertEquals("RollingOut", condition(starting, "Progressing").getReason());
    assertEquals("False", condition(starting, "Degraded").getStatus());
  }

  @Test
  void startsThatTakeTooLongBecomeProblems() {
    RegistryCache rc = Specs.cache("main", new RegistryCacheSpec());
    RegistryCacheStatus s = status(rc, ds(3, 3), List.of(waiting("a", "n1", "ContainerCreating"),
        runningNotReady("b", "n2", LONG_AGO), serving("c", "n3", null, LONG_AGO)));
    assertEquals("False", condition(s, "Ready").getStatus());
    assertEquals(List.of(NodeProblem.POD_NOT_READY, NodeProblem.POD_NOT_READY, NodeProblem.NODE_NOT_REPORTED),
        s.nodesNotCaching.stream().map(p -> p.reason).toList());
    assertTrue(s.nodesNotCaching.get(2).message.contains("API server"), s.nodesNotCaching.get(2).message);
  }

  @Test
  void aRolloutThatCannotRunIsProgressingAndDegradedNamingTheNodesAndKubeletsReason() {
    RegistryCache rc = Specs.cache("main", new RegistryCacheSpec());
    // one node already on the new template cannot pull the image; the other still runs the old one
    Pod old = caching("a", "n1");
    old.getMetadata().getLabels().put(PodState.TEMPLATE_GENERATION, "2");
    RegistryCacheStatus s = status(rc, ds(2, 1), List.of(old, waiting("b", "n2", "ImagePullBackOff")));
    Condition progressing = condition(s, "Progressing");
    assertEquals("True", progressing.getStatus());
    assertEquals(Conditions.ROLLOUT_STUCK, progressing.getReason());
    assertTrue(progressing.getMessage().contains("n2 PodNotReady") && progressing.getMessage().contains("ImagePullBackOff"),
        progressing.getMessage());
    Condition degraded = condition(s, "Degraded");
    assertEquals("True", degraded.getStatus());
    assertEquals(Conditions.ROLLOUT_STUCK, degraded.getReason());
    assertTrue(degraded.getMessage().contains("n2"), degraded.getMessage());

    // every node updated (the DaemonSet counts it so) but none runs: still not up to date
    RegistryCacheStatus all = status(rc, ds(1, 1), List.of(waiting("b", "n2", "ImagePullBackOff")));
    assertEquals(Conditions.ROLLOUT_STUCK, condition(all, "Progressing").getReason());
    assertEquals("True", condition(all, "Degraded").getStatus());
  }

  @Test
  void podsTheDaemonSetCannotCreateAreSaidInTheApiServersWords() {
    RegistryCache rc = Specs.cache("main", new RegistryCacheSpec());
    String refused = "Error creating: pods \"registry-cache-main-x\" is forbidden: exceeded quota: no-pods";
    AtomicInteger asked = new AtomicInteger();
    StatusModel.Cluster cluster = new StatusModel.Cluster(List.of(), List.of("amd64"), () -> {
      asked.incrementAndGet();
      return refused;
    });
    RegistryCacheStatus s = StatusModel.of(rc, ds(1, 0), List.of(), NodeSelection.of(rc, List.of()), cluster, NOW);
    assertEquals("False", condition(s, "Ready").getStatus());
    assertEquals(Conditions.PODS_NOT_CREATED, condition(s, "Ready").getReason());
    assertTrue(condition(s, "Ready").getMessage().contains("exceeded quota"), condition(s, "Ready").getMessage());
    assertEquals(Conditions.PODS_NOT_CREATED, condition(s, "Degraded").getReason());

    // the 1.20 DaemonSet controller leaves its status alone while creating pods fails
    DaemonSet notUpdated = new DaemonSetBuilder().withNewMetadata().withGeneration(1L).endMetadata().build();
    RegistryCacheStatus never = StatusModel.of(rc, notUpdated, List.of(), NodeSelection.of(rc, List.of()), cluster, NOW);
    assertEquals(Conditions.PODS_NOT_CREATED, condition(never, "Ready").getReason());

    asked.set(0);
    StatusModel.of(rc, ds(1, 1), List.of(caching("a", "n1")), NodeSelection.of(rc, List.of()), cluster, NOW);
    assertEquals(0, asked.get(), "events are read only when pods are missing");
  }

  @Test
  void nodesOfAnotherArchitectureAreListedAndMakeItDegraded() {
    RegistryCache rc = Specs.cache("main", new RegistryCacheSpec());
    var arm = new ClusterNodes.NodeFacts("arm1", Map.of(ClusterNodes.ARCH_LABEL, "arm64"), ClusterNodes.Runtime.CONTAINERD);
    StatusModel.Cluster cluster = new StatusModel.Cluster(List.of(arm), List.of("amd64"), () -> null);
    RegistryCacheStatus s = StatusModel.of(rc, ds(1, 1), List.of(caching("a", "n1")), NodeSelection.of(rc, List.of()),
        cluster, NOW);
    assertEquals("AllNodesCaching", condition(s, "Ready").getReason(), "every node it can run on caches");
    assertEquals(Conditions.UNSUPPORTED_ARCHITECTURE, condition(s, "Degraded").getReason());
    assertTrue(condition(s, "Degraded").getMessage().contains("arm1"));
    assertEquals(NodeProblem.UNSUPPORTED_ARCHITECTURE, s.nodesNotCaching.get(0).reason);
    assertTrue(s.nodesNotCaching.get(0).message.contains("arm64"), s.nodesNotCaching.get(0).message);
  }

  @Test
  void theListOfNodesIsBoundedAndCounted() {
    RegistryCache rc = Specs.cache("main", new RegistryCacheSpec());
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      pods.add(waiting("p" + i, String.format("node-%03d", i), "ErrImagePull"));
    }
    RegistryCacheStatus s = status(rc, ds(500, 500), pods);
    assertEquals(StatusModel.LISTED_NODES, s.nodesNotCaching.size());
    assertEquals(500, s.nodesNotCachingCount);
    assertEquals("node-000", s.nodesNotCaching.get(0).node, "by node name");
    assertTrue(condition(s, "Ready").getMessage().contains("and 495 more"), condition(s, "Ready").getMessage());
    assertTrue(condition(s, "Ready").getMessage().length() < 4000, "a condition stays readable");
  }

  @Test
  void noNodeSelected() {
    RegistryCacheStatus s = status(Specs.cache("main", new RegistryCacheSpec()), ds(0, 0), List.of());
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

    RegistryCacheStatus o = StatusModel.of(older, ds(2, 2), List.of(caching("a", "n1"), caching("b", "n2")),
        NodeSelection.of(older, all), StatusModel.Cluster.NONE, NOW);
    assertEquals("AllNodesCaching", condition(o, "Ready").getReason(), "the older one keeps caching");
    assertEquals("True", condition(o, "Degraded").getStatus());
    assertEquals("NodeSelectionConflict", condition(o, "Degraded").getReason());
    assertTrue(condition(o, "Degraded").getMessage().contains("second"));

    RegistryCacheStatus y = StatusModel.of(younger, ds(0, 0), List.of(), NodeSelection.of(younger, all),
        StatusModel.Cluster.NONE, NOW);
    assertEquals("NodeSelectionConflict", condition(y, "Ready").getReason());
    assertTrue(condition(y, "Ready").getMessage().contains("first"), condition(y, "Ready").getMessage());
    assertEquals("True", condition(y, "Degraded").getStatus());
  }

  @Test
  void perNodeReasonsAreTheOnesTheCrdDescribes() throws Exception {
    String crd = java.nio.file.Files.readString(java.nio.file.Path.of("crds/registrycaches.registrycache.dev-v1.yml"));
    String docs = java.nio.file.Files.readString(java.nio.file.Path.of("docs/operator.md"));
    for (String reason : NodeProblem.REASONS) {
      assertTrue(crd.contains(reason), reason + " is described in the CRD");
      assertTrue(docs.contains("`" + reason + "`"), reason + " is described in docs/operator.md");
    }
    assertFalse(crd.contains("PodsNotScheduled"), "per-node reasons are singular; PodsNotScheduled is the Ready reason");
  }
}
