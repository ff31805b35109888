package dev.registrycache.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.api.v1alpha1.RegistryCacheSpec;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatusBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.javaoperatorsdk.operator.Operator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import dev.registrycache.operator.statistics.CacheStatisticsGatherer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The operator (JOSDK, the reconciler and its dependents) against the Fabric8 mock API server in
 * CRUD mode. Nothing here runs the DaemonSet controller or kubelet: the tests write the
 * DaemonSet's status and the pods the way they would. The reconciliation interval is a minute,
 * so everything that must happen within seconds here happens because of a watch.
 * Server-side apply is what the real API server tests cover; here dependents are created and
 * updated the classic way, which the mock server implements.
 */
@EnableKubernetesMockClient(crud = true)
class RegistryCacheReconcilerTest {
  static final String NS = Specs.SETTINGS.namespace();
  static final Duration SOON = Duration.ofSeconds(20);

  KubernetesClient client;
  KubernetesMockServer server;
  private KubernetesClient operatorClient;
  private Operator operator;
  private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  @BeforeEach
  void start() {
    // as the command does: the client's namespace is the operator's, where the dependents' informers watch
    operatorClient = new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(client.getConfiguration()).withNamespace(NS).build()).build();
    operator = RegistryCacheOperator.create(operatorClient, Specs.SETTINGS, null, metrics,
        CacheStatisticsGatherer.NONE, o -> o
        .withCloseClientOnStop(false)
        .withSSABasedCreateUpdateMatchForDependentResources(false)
        .withUseSSAToPatchPrimaryResource(false)
        .withCacheSyncTimeout(Duration.ofSeconds(20)));
    operator.start();
  }

  @AfterEach
  void stop() {
    operator.stop();
    operatorClient.close();
  }

  private static <T> T await(String what, Supplier<T> check) {
    long deadline = System.nanoTime() + SOON.toNanos();
    while (System.nanoTime() < deadline) {
      T v = check.get();
      if (v != null && !Boolean.FALSE.equals(v)) {
        return v;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return fail("not within " + SOON + ": " + what);
  }

  private RegistryCache create(String name, RegistryCacheSpec spec) {
    return client.resources(RegistryCache.class).resource(Specs.cache(name, spec)).create();
  }

  private RegistryCache get(String name) {
    return client.resources(RegistryCache.class).withName(name).get();
  }

  private Condition condition(String name, String type) {
    RegistryCache rc = get(name);
    if (rc == null || rc.getStatus() == null) {
      return null;
    }
    return rc.getStatus().conditions.stream().filter(c -> c.getType().equals(type)).findFirst().orElse(null);
  }

  private Condition awaitCondition(String name, String type, String reason) {
    try {
      return await(name + " " + type + " " + reason, () -> {
        Condition c = condition(name, type);
        return c != null && reason.equals(c.getReason()) ? c : null;
      });
    } catch (AssertionError e) {
      RegistryCache rc = get(name);
      throw new AssertionError(e.getMessage() + "; status: " + (rc == null ? "(gone)"
          : client.getKubernetesSerialization().asJson(rc.getStatus())), e);
    }
  }

  private DaemonSet daemonSet(String cache) {
    return client.apps().daemonSets().inNamespace(NS).withName("registry-cache-" + cache).get();
  }

  private String hash(String cache) {
    DaemonSet ds = daemonSet(cache);
    return ds == null ? null : ds.getSpec().getTemplate().getMetadata().getAnnotations().get(ResourceNames.CONFIG_HASH);
  }

  /** The password in the copy (the mock server keeps {@code stringData} as written; a real one turns it into data). */
  private String copiedPassword(String cache, String file) {
    Secret s = client.secrets().inNamespace(NS).withName("registry-cache-" + cache + "-credentials").get();
    if (s == null) {
      return null;
    }
    if (s.getStringData() != null && s.getStringData().get(file) != null) {
      return s.getStringData().get(file);
    }
    return s.getData() == null || s.getData().get(file) == null ? null
        : new String(Base64.getDecoder().decode(s.getData().get(file)));
  }

  private static RegistryCacheSpec selecting(Map<String, String> selector) {
    RegistryCacheSpec spec = new RegistryCacheSpec();
    spec.nodeSelector = new LinkedHashMap<>(selector);
    return spec;
  }

  @Test
  void aRegistryCacheBecomesItsDependentsAStatusAndEvents() {
    client.secrets().resource(Specs.basicSecret("team", "quay", "robot", "pw-1")).create();
    create("main", Specs.withRegistries(Specs.registry("quay.io", null, "team", "quay")));

    DaemonSet ds = await("DaemonSet", () -> daemonSet("main"));
    RegistryCache rc = get("main");
    assertEquals(rc.getMetadata().getUid(), ds.getMetadata().getOwnerReferences().get(0).getUid());
    assertTrue(rc.getMetadata().getFinalizers() == null || rc.getMetadata().getFinalizers().isEmpty(),
        "no finalizer: nothing ever waits for the operator");
    String config = client.configMaps().inNamespace(NS).withName("registry-cache-main-config").get()
        .getData().get(ResourceNames.CONFIG_FILE);
    assertTrue(config.contains("username: robot") && !config.contains("pw-1"), config);
    assertEquals("pw-1", await("credentials copy", () -> copiedPassword("main", "registry-0.password")));
    assertEquals(OperatorSettings.DEFAULT_NODE_SERVICE_ACCOUNT,
        ds.getSpec().getTemplate().getSpec().getServiceAccountName(), "the chart's ServiceAccount, none of its own");

    // no DaemonSet controller here: the DaemonSet never reports, so the status waits, without a warning
    Condition ready = awaitCondition("main", Conditions.READY, Conditions.STARTING);
    assertEquals("Unknown", ready.getStatus());
    assertEquals("False", condition("main", Conditions.DEGRADED).getStatus());
    assertEquals(1L, get("main").getStatus().observedGeneration);
    await("an event for every dependent created", () -> client.v1().events().inNamespace(EventRecorder.EVENTS_NAMESPACE)
        .list().getItems().stream().filter(e -> "Created".equals(e.getReason()))
        .map(e -> e.getMessage().split(" ")[0]).distinct().count() == 4);
    assertTrue(client.v1().events().inNamespace(EventRecorder.EVENTS_NAMESPACE).list().getItems().stream()
        .noneMatch(e -> "Warning".equals(e.getType())), "a healthy start has no warning");
  }

  @Test
  void aRotatedPasswordReachesTheCopyAtOnceAndRollsNothing() {
    client.secrets().resource(Specs.basicSecret("team", "quay", "robot", "pw-1")).create();
    create("main", Specs.withRegistries(Specs.registry("quay.io", null, "team", "quay")));
    await("first copy", () -> "pw-1".equals(copiedPassword("main", "registry-0.password")));
    String before = await("hash", () -> hash("main"));

    client.secrets().resource(Specs.basicSecret("team", "quay", "robot", "pw-2")).update();
    assertEquals("pw-2", await("rotated copy (watch, not the 60 s resync)",
        () -> "pw-2".equals(copiedPassword("main", "registry-0.password")) ? "pw-2" : null));
    assertEquals(before, hash("main"), "the caches re-read the file the kubelet updates: no pod restarts");
  }

  @Test
  void aSecretOutsideTheAllowedNamespacesIsRefusedWithItsOwnReason() {
    client.secrets().resource(Specs.basicSecret("kube-system", "quay", "robot", "pw-1")).create();
    drainRequests();
    create("main", Specs.withRegistries(Specs.registry("quay.io", null, "kube-system", "quay")));
    Condition degraded = awaitCondition("main", Conditions.DEGRADED, Conditions.SECRET_NAMESPACE_NOT_ALLOWED);
    assertEquals("True", degraded.getStatus());
    assertTrue(degraded.getMessage().contains("kube-system/quay") && degraded.getMessage().contains("rc-system")
        && degraded.getMessage().contains("team"), degraded.getMessage());
    assertNull(daemonSet("main"), "nothing deployed");
    assertTrue(drainRequests().stream().noneMatch(r -> r.getMethod().equals("GET")
        && r.getPath().startsWith("/api/v1/namespaces/kube-system/secrets")), "the Secret was never read");
  }

  /**
   * Secrets are watched only in the allowed namespaces, and the API server is asked to leave out
   * those that never hold registry credentials (Helm's release records, ServiceAccount tokens).
   */
  @Test
  void secretsAreWatchedOnlyWhereAllowedAndWithoutHelmReleasesOrTokens() throws Exception {
    operator.stop();
    drainRequests();
    start();
    List<String> secretLists = await("the Secret informers' first lists", () -> {
      List<String> paths = drainRequests().stream().map(RecordedRequest::getPath)
          .filter(p -> p.contains("/secrets?")).toList();
      return paths.size() >= 2 ? paths : null;
    });
    for (String path : secretLists) {
      String decoded = java.net.URLDecoder.decode(path, java.nio.charset.StandardCharsets.UTF_8);
      assertTrue(decoded.startsWith("/api/v1/namespaces/team/secrets") || decoded.startsWith("/api/v1/namespaces/" + NS
          + "/secrets"), "only allowed namespaces: " + decoded);
      if (!decoded.contains("labelSelector")) { // the operator's own copies are found by their label
        assertTrue(decoded.contains("type!=helm.sh/release.v1") && decoded.contains("type!=kubernetes.io/service-account-token"),
            decoded);
      }
    }
  }

  /**
   * The operator's /metrics: JOSDK's reconciliations (started, succeeded, failed, their
   * durations) and, per RegistryCache, the nodes it selects and that cache, gone with it.
   */
  @Test
  void reconciliationsAndNodesAreOnTheOperatorsMetrics() {
    create("main", new RegistryCacheSpec());
    await("DaemonSet", () -> daemonSet("main"));
    String text = await("reconciliations counted", () -> {
      String t = metrics.scrape();
      return t.contains("operator_sdk_reconciliations_success_total") ? t : null;
    });
    assertTrue(text.contains("operator_sdk_reconciliations_started_total"), text);
    assertTrue(text.contains("operator_sdk_controllers_execution_reconcile_seconds_count"), text);
    assertTrue(text.contains("registry_cache_operator_nodes_selected{registrycache=\"main\"} 0.0"), text);
    assertTrue(text.contains("registry_cache_operator_nodes_caching{registrycache=\"main\"} 0.0"), text);
    create("other", new RegistryCacheSpec());
    client.resources(RegistryCache.class).withName("main").delete();
    await("the gauges of a deleted RegistryCache go", () -> {
      String t = metrics.scrape();
      return t.contains("registrycache=\"other\"") && !t.contains("registrycache=\"main\"");
    });
  }

  @Test
  void aSpecTheApiServerWouldRefuseLaterIsRefusedUpFront() {
    RegistryCacheSpec spec = new RegistryCacheSpec();
    spec.adminPort = spec.port;
    create("ports", spec);
    Condition c = awaitCondition("ports", Conditions.DEGRADED, Conditions.INVALID_SPEC);
    assertTrue(c.getMessage().contains("port and adminPort are both 5000"), c.getMessage());

    RegistryCacheSpec etc = new RegistryCacheSpec();
    etc.storage.hostPath = "/etc/cache";
    create("etc", etc);
    assertTrue(awaitCondition("etc", Conditions.DEGRADED, Conditions.INVALID_SPEC).getMessage().contains("/etc"));
    RegistryCacheSpec metricsOnTheRegistryPort = new RegistryCacheSpec();
    metricsOnTheRegistryPort.metricsPort = metricsOnTheRegistryPort.port;
    create("metrics", metricsOnTheRegistryPort);
    assertTrue(awaitCondition("metrics", Conditions.DEGRADED, Conditions.INVALID_SPEC).getMessage()
        .contains("metricsPort 5000 is also port"));
    create("a".repeat(64), new RegistryCacheSpec());
    assertTrue(awaitCondition("a".repeat(64), Conditions.DEGRADED, Conditions.INVALID_SPEC).getMessage()
        .contains("64 characters"));
  }

  @Test
  void aMissingSecretIsReportedAndItsCreationRepairs() {
    drainRequests();
    create("main", Specs.withRegistries(Specs.registry("quay.io", null, "team", "later")));
    Condition degraded = awaitCondition("main", Conditions.DEGRADED, Conditions.SECRET_NOT_FOUND);
    assertEquals("True", degraded.getStatus());
    assertTrue(degraded.getMessage().contains("team/later"), degraded.getMessage());
    assertNull(daemonSet("main"), "nothing is deployed with missing credentials");

    client.secrets().resource(Specs.basicSecret("team", "later", "robot", "pw")).create();
    awaitCondition("main", Conditions.DEGRADED, Conditions.AS_EXPECTED);
    assertNotNull(await("DaemonSet after the Secret appeared", () -> daemonSet("main")));
  }

  @Test
  void statusFollowsTheDaemonSetAndNamesTheNodesThatDoNotCache() {
    create("main", new RegistryCacheSpec());
    awaitCondition("main", Conditions.READY, Conditions.STARTING);
    DaemonSet ds = daemonSet("main");
    ds.setStatus(new DaemonSetStatusBuilder().withDesiredNumberScheduled(2).withNumberReady(1)
        .withUpdatedNumberScheduled(2).withCurrentNumberScheduled(2).withNumberMisscheduled(0)
        .withObservedGeneration(ds.getMetadata().getGeneration()).build());
    client.apps().daemonSets().inNamespace(NS).resource(ds).updateStatus();
    client.pods().inNamespace(NS).resource(pod("main", "a", "node-1", true)).create();
    client.pods().inNamespace(NS).resource(pod("main", "b", "node-2", false)).create();

    // the pods reach the operator's informer after the DaemonSet's status: wait for their event
    Condition ready = await("the node that does not cache named", () -> {
      Condition c = condition("main", Conditions.READY);
      return c != null && Conditions.NODES_NOT_CACHING.equals(c.getReason())
          && c.getMessage().contains("node-2") ? c : null;
    });
    assertFalse(ready.getMessage().contains("node-1"), ready.getMessage());
    RegistryCache rc = get("main");
    assertEquals("1/2", rc.getStatus().ready);
    assertEquals(List.of("node-2"), rc.getStatus().nodesNotCaching.stream().map(p -> p.node).toList());

    Pod fixed = pod("main", "b", "node-2", true);
    client.pods().inNamespace(NS).resource(fixed).update();
    ds = daemonSet("main");
    ds.getStatus().setNumberReady(2);
    client.apps().daemonSets().inNamespace(NS).resource(ds).updateStatus();
    awaitCondition("main", Conditions.READY, Conditions.ALL_NODES_CACHING);
    assertTrue(get("main").getStatus().nodesNotCaching.isEmpty());
  }

  @Test
  void theStatusIsWrittenOnlyWhenItChanges() throws Exception {
    client.secrets().resource(Specs.basicSecret("team", "quay", "robot", "pw-1")).create();
    create("main", Specs.withRegistries(Specs.registry("quay.io", null, "team", "quay")));
    awaitCondition("main", Conditions.READY, Conditions.STARTING);
    Thread.sleep(1000); // let the reconciliations the creation caused finish
    drainRequests();

    // the same data again: a new resourceVersion, so a reconciliation, which must write nothing
    Secret same = client.secrets().inNamespace("team").withName("quay").get();
    same.getMetadata().setAnnotations(Map.of("touched", "yes"));
    client.secrets().resource(same).update();
    await("a reconciliation reading the Secret", () -> drainRequests().stream()
        .anyMatch(r -> r.getMethod().equals("GET") && r.getPath().startsWith("/api/v1/namespaces/team/secrets/quay")));
    Thread.sleep(1000);
    List<String> writes = drainRequests().stream().filter(r -> !r.getMethod().equals("GET"))
        .map(r -> r.getMethod() + " " + r.getPath()).toList();
    assertTrue(writes.stream().noneMatch(w -> w.contains("registrycaches")), "nothing written: " + writes);
    assertTrue(writes.stream().noneMatch(w -> w.contains("daemonsets")), "nothing written: " + writes);
  }

  private List<RecordedRequest> drainRequests() {
    List<RecordedRequest> out = new ArrayList<>();
    try {
      for (RecordedRequest r; (r = server.takeRequest(10, TimeUnit.MILLISECONDS)) != null; ) {
        out.add(r);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return out;
  }

  @Test
  void overlappingSelectionsAreReportedOnBothAndTheOlderKeepsTheNodes() throws Exception {
    create("zone-a", selecting(Map.of("zone", "a")));
    await("the first one's DaemonSet", () -> daemonSet("zone-a"));
    Thread.sleep(1100); // creation timestamps have seconds: make the order unambiguous
    create("gpus", selecting(Map.of("gpu", "true")));

    Condition younger = awaitCondition("gpus", Conditions.DEGRADED, Conditions.NODE_SELECTION_CONFLICT);
    assertEquals("True", younger.getStatus());
    assertTrue(younger.getMessage().contains("zone-a"), younger.getMessage());
    Condition older = awaitCondition("zone-a", Conditions.DEGRADED, Conditions.NODE_SELECTION_CONFLICT);
    assertTrue(older.getMessage().contains("gpus") && older.getMessage().contains("keeps them"), older.getMessage());

    var affinity = await("the younger one leaves the older one's nodes",
        () -> daemonSet("gpus") == null ? null : daemonSet("gpus").getSpec().getTemplate().getSpec().getAffinity());
    var expr = affinity.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms()
        .get(0).getMatchExpressions().get(0);
    assertEquals(List.of("zone", "NotIn", List.of("a")), List.of(expr.getKey(), expr.getOperator(), expr.getValues()));
    assertTrue(daemonSet("zone-a").getSpec().getTemplate().getSpec().getAffinity().getNodeAffinity()
        .getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms().get(0).getMatchExpressions().stream()
        .noneMatch(e -> "NotIn".equals(e.getOperator())), "the older one leaves nothing");

    // the older one goes: the younger one keeps to itself again
    // (that its affinity then goes is OperatorIT's: removing a field is what server-side apply does)
    client.resources(RegistryCache.class).withName("zone-a").delete();
    await("older one gone", () -> get("zone-a") == null);
    awaitCondition("gpus", Conditions.DEGRADED, Conditions.AS_EXPECTED);
  }

  @Test
  void theFinalizerOfEarlierVersionsIsTakenOffEvenWhileDeleting() {
    RegistryCache old = Specs.cache("old", new RegistryCacheSpec());
    old.getMetadata().setFinalizers(List.of(ResourceNames.LEGACY_FINALIZER));
    client.resources(RegistryCache.class).resource(old).create();
    await("the legacy finalizer removed by a reconciliation", () -> {
      RegistryCache rc = get("old");
      return rc != null && (rc.getMetadata().getFinalizers() == null || rc.getMetadata().getFinalizers().isEmpty());
    });

    // one being deleted while no operator ran: the next operator lets it go at start
    operator.stop();
    RegistryCache stuck = Specs.cache("stuck", new RegistryCacheSpec());
    stuck.getMetadata().setFinalizers(List.of(ResourceNames.LEGACY_FINALIZER));
    client.resources(RegistryCache.class).resource(stuck).create();
    client.resources(RegistryCache.class).withName("stuck").delete();
    assertNotNull(get("stuck"), "held by its finalizer");
    start();
    await("deleted once the finalizer is gone", () -> get("stuck") == null);
  }

  /**
   * A cache pod as the DaemonSet controller creates it and kubelet reports it: ready (its cache
   * serves), with the node condition its cache writes, configured or not.
   */
  static Pod pod(String cache, String suffix, String node, boolean configured) {
    RegistryCache rc = Specs.cache(cache, new RegistryCacheSpec());
    Pod p = new PodBuilder()
        .withNewMetadata().withName("registry-cache-" + cache + "-" + suffix).withNamespace(NS)
          .withLabels(ResourceNames.labels(rc)).endMetadata()
        .withNewSpec().withNodeName(node).endSpec()
        .withNewStatus().withPhase("Running")
          .addNewCondition().withType("Ready").withStatus("True").endCondition()
          .addNewContainerStatus().withName(ResourceNames.CONTAINER).withReady(true)
            .withNewState().withNewRunning().endRunning().endState().endContainerStatus()
        .endStatus().build();
    p.getStatus().getConditions().add(NodeConfiguredCondition.of(configured,
        configured ? "mirror entries in place" : "node cannot be configured: containerd: no config_path",
        "2026-01-01T00:00:00Z"));
    return p;
  }
}
