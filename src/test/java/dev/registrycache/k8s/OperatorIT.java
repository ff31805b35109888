package dev.registrycache.k8s;

import static dev.registrycache.k8s.KitCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.api.v1alpha1.RegistryCacheSpec;
import dev.registrycache.api.v1alpha1.NodeProblem;
import dev.registrycache.api.v1alpha1.RegistrySpec;
import dev.registrycache.api.v1alpha1.SecretReference;
import dev.registrycache.operator.PodConditionReporter;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The operator on a real Kubernetes 1.20 API server: the generated CRD, the server refusing
 * invalid RegistryCaches, and the operator run out of process as the chart's ServiceAccount with
 * only the chart's RBAC (a missing verb fails these tests), creating, updating, rotating and
 * deleting. There is no node: the DaemonSet selects none, which the status must say.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorIT {
  static final String NS = "registry-cache-it";
  static final String TEAM_NS = "team-it";
  /** Not the name NodeE2EIT installs: the RBAC applied here is cluster-scoped. */
  static final String RELEASE = "registry-cache-it";
  static final Path CRD = Path.of("crds/registrycaches.registrycache.dev-v1.yml");
  static final Duration SETTLE = Duration.ofSeconds(60);
  static final String LISTEN = "127.0.0.1:18080";

  private KubernetesClient admin;
  private Process operator;
  private Path operatorLog;
  private Path operatorKubeconfig;

  private NonNamespaceOperation<RegistryCache, KubernetesResourceList<RegistryCache>, Resource<RegistryCache>> caches() {
    return admin.resources(RegistryCache.class);
  }

  @BeforeAll
  void installCrdRbacAndStartTheOperator() throws Exception {
    admin = KitCluster.admin();
    CustomResourceDefinition crd = admin.apiextensions().v1().customResourceDefinitions()
        .load(Files.newInputStream(CRD)).item();
    admin.resource(crd).forceConflicts().serverSideApply();
    await("CRD established", SETTLE, () -> admin.apiextensions().v1().customResourceDefinitions()
        .withName(crd.getMetadata().getName()).get().getStatus().getConditions().stream()
        .anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True")));
    for (String ns : List.of(NS, TEAM_NS)) {
      admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
          .forceConflicts().serverSideApply();
    }
    // the chart's ServiceAccount and RBAC, exactly as the chart renders them
    String rendered = new Helm(Path.of("charts/registry-cache")).template().withName(RELEASE).withNamespace(NS)
        .set("credentialNamespaces[0]", TEAM_NS).call();
    Set<String> kinds = Set.of("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding");
    List<HasMetadata> rbac = admin.load(new ByteArrayInputStream(rendered.getBytes(StandardCharsets.UTF_8))).items()
        .stream().filter(o -> kinds.contains(o.getKind())).toList();
    assertEquals(kinds, Set.copyOf(rbac.stream().map(HasMetadata::getKind).toList()), "the chart renders them all");
    for (HasMetadata o : rbac) {
      admin.resource(o).forceConflicts().serverSideApply();
    }
    String token = token(RELEASE);
    Path kubeconfig = Files.createTempFile("operator-sa", ".kubeconfig");
    Config cfg = admin.getConfiguration();
    String ca = cfg.getCaCertData() != null ? cfg.getCaCertData()
        : Base64.getEncoder().encodeToString(Files.readAllBytes(Path.of(cfg.getCaCertFile())));
    Files.writeString(kubeconfig, "apiVersion: v1\nkind: Config\nclusters:\n- name: kit\n  cluster:\n"
        + "    server: " + cfg.getMasterUrl() + "\n    certificate-authority-data: " + ca + "\n"
        + "users:\n- name: operator\n  user:\n    token: " + token + "\ncontexts:\n- name: operator\n  context:\n"
        + "    cluster: kit\n    user: operator\n    namespace: " + NS + "\ncurrent-context: operator\n");
    operatorKubeconfig = kubeconfig;
    startOperator();
  }

  /** The operator out of process, as the chart's ServiceAccount; returns once it holds the Lease and is ready. */
  private void startOperator() throws Exception {
    operatorLog = Files.createTempFile("operator", ".log");
    operator = operatorProcess(NS, operatorKubeconfig, LISTEN, operatorLog);
    awaitReadyz(LISTEN, operator, operatorLog, 200);
    await("the operator holds the Lease (log " + operatorLog + ")", SETTLE, () -> log().contains("holding the Lease"));
  }

  private static Process operatorProcess(String namespace, Path kubeconfig, String listen, Path logFile)
      throws java.io.IOException {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", "target/registry-cache.jar", "operator", "--namespace", namespace,
        "--image", "example.test/registry-cache:it", "--listen", listen,
        "--credential-namespaces", TEAM_NS, "--node-service-account", RELEASE + "-node")
        .redirectErrorStream(true).redirectOutput(logFile.toFile());
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    pb.environment().remove("KUBERNETES_SERVICE_HOST");
    return pb.start();
  }

  /** Waits until {@code listen}/readyz answers {@code status}; returns the body. */
  private static String awaitReadyz(String listen, Process p, Path logFile, int status) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    return await("/readyz " + status + " on " + listen + " (log " + logFile + ")", SETTLE, () -> {
      if (!p.isAlive()) {
        throw new AssertionError("the operator exited: " + read(logFile));
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + listen + "/readyz")).build(),
            HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == status ? r.body() : null;
      } catch (Exception e) {
        return null;
      }
    });
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (Exception e) {
      return "(no log: " + e + ")";
    }
  }

  private void stopOperator() throws InterruptedException {
    operator.destroy();
    if (!operator.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
      operator.destroyForcibly();
    }
  }

  /** The token of a ServiceAccount in {@link #NS} (1.20 keeps it in a Secret). */
  private String token(String serviceAccount) {
    return await("the ServiceAccount " + serviceAccount + "'s token", SETTLE, () -> {
      var sa = admin.serviceAccounts().inNamespace(NS).withName(serviceAccount).get();
      if (sa == null || sa.getSecrets() == null || sa.getSecrets().isEmpty()) {
        return null;
      }
      Secret s = admin.secrets().inNamespace(NS).withName(sa.getSecrets().get(0).getName()).get();
      return s == null || s.getData() == null || !s.getData().containsKey("token") ? null
          : new String(Base64.getDecoder().decode(s.getData().get("token")), StandardCharsets.UTF_8);
    });
  }

  private String log() {
    return read(operatorLog);
  }

  @AfterAll
  void stopAndCleanUp() throws Exception {
    try {
      if (caches() != null) {
        for (String name : List.of("it", "it-missing", "it-older", "it-younger", "it-elsewhere", "it-invalid",
            "it-refused", "it-quota", "it-arch")) {
          caches().withName(name).delete();
        }
        await("RegistryCaches deleted", SETTLE, () -> caches().list().getItems().isEmpty());
      }
    } finally {
      if (operator != null) {
        stopOperator();
      }
      String l = log();
      assertFalse(l.contains("s3cret-"), "no password in the operator's log");
      for (String ns : List.of(NS, TEAM_NS)) {
        admin.namespaces().withName(ns).delete();
      }
      admin.rbac().clusterRoles().withLabel("app.kubernetes.io/instance", RELEASE).delete();
      admin.rbac().clusterRoleBindings().withLabel("app.kubernetes.io/instance", RELEASE).delete();
      admin.rbac().roles().inNamespace("default").withLabel("app.kubernetes.io/instance", RELEASE).delete();
      admin.rbac().roleBindings().inNamespace("default").withLabel("app.kubernetes.io/instance", RELEASE).delete();
      admin.close();
    }
  }

  /**
   * No node matches: the kit may run a node, and these caches must select none. Each selects
   * by its own value of one label, so they do not overlap unless a test wants them to.
   */
  private static RegistryCache cache(String name, RegistryCacheSpec spec) {
    return cache(name, spec, name);
  }

  private static RegistryCache cache(String name, RegistryCacheSpec spec, String group) {
    spec.nodeSelector = new java.util.LinkedHashMap<>(spec.nodeSelector);
    spec.nodeSelector.put("registrycache.dev/operator-it", "no-such-node-" + group);
    RegistryCache rc = new RegistryCache();
    rc.setMetadata(new ObjectMetaBuilder().withName(name).build());
    rc.setSpec(spec);
    return rc;
  }

  private static Secret credentials(String password) {
    return new SecretBuilder().withNewMetadata().withName("quay-creds").withNamespace(TEAM_NS).endMetadata()
        .withStringData(Map.of("username", "robot", "password", password)).build();
  }

  private Condition condition(String name, String type) {
    RegistryCache rc = caches().withName(name).get();
    if (rc == null || rc.getStatus() == null) {
      return null;
    }
    return rc.getStatus().conditions.stream().filter(c -> c.getType().equals(type)).findFirst().orElse(null);
  }

  private DaemonSet daemonSet() {
    return daemonSet("it");
  }

  private DaemonSet daemonSet(String cache) {
    return admin.apps().daemonSets().inNamespace(NS).withName("registry-cache-" + cache).get();
  }

  private String configHash() {
    DaemonSet ds = daemonSet();
    return ds == null ? null : ds.getSpec().getTemplate().getMetadata().getAnnotations().get("registrycache.dev/config-hash");
  }

  @Test
  @Order(1)
  void theServerRefusesInvalidRegistryCachesWithMessagesAPersonCanActOn() {
    RegistryCacheSpec spec = new RegistryCacheSpec();
    spec.port = 70000;
    RegistrySpec bad = new RegistrySpec("Not_A_Host!", "ftp://x");
    spec.registries.add(bad);
    spec.storage.maxSize = "lots";
    spec.runtimes.containerd.mode = "sometimes";
    KubernetesClientException e = assertThrows(KubernetesClientException.class,
        () -> caches().resource(cache("invalid", spec)).create());
    assertEquals(422, e.getCode());
    String m = e.getMessage();
    for (String field : List.of("spec.port", "spec.registries.name", "spec.registries.url", "spec.storage.maxSize",
        "spec.runtimes.containerd.mode")) {
      assertTrue(m.contains(field), field + " named in: " + m);
    }
    assertTrue(m.contains("less than or equal to 65535"), m);
  }

  @Test
  @Order(2)
  void aRegistryCacheBecomesItsDependentsAndAStatus() throws Exception {
    admin.secrets().resource(credentials("s3cret-1")).forceConflicts().serverSideApply();
    RegistryCacheSpec spec = new RegistryCacheSpec();
    spec.registries.add(new RegistrySpec("docker.io", "http://127.0.0.1:15000"));
    RegistrySpec quay = new RegistrySpec("quay.io", null);
    quay.credentialsSecretRef = new SecretReference(TEAM_NS, "quay-creds");
    spec.registries.add(quay);
    caches().resource(cache("it", spec)).create();

    DaemonSet ds = await("DaemonSet (operator log: " + operatorLog + ")", SETTLE, this::daemonSet);
    RegistryCache rc = caches().withName("it").get();
    assertEquals(rc.getMetadata().getUid(), ds.getMetadata().getOwnerReferences().get(0).getUid());
    assertTrue(rc.getMetadata().getFinalizers() == null || rc.getMetadata().getFinalizers().isEmpty(),
        "no finalizer: deleting it never waits for the operator");
    assertEquals(RELEASE + "-node", ds.getSpec().getTemplate().getSpec().getServiceAccountName());
    assertTrue(ds.getMetadata().getManagedFields().stream().anyMatch(f -> "Apply".equals(f.getOperation())),
        "dependents are server-side applied");
    ConfigMap cm = admin.configMaps().inNamespace(NS).withName("registry-cache-it-config").get();
    String config = cm.getData().get("config.yaml");
    assertTrue(config.contains("http://127.0.0.1:15000") && config.contains("username: robot"), config);
    assertFalse(config.contains("s3cret"), "no password in the ConfigMap");
    Secret copy = admin.secrets().inNamespace(NS).withName("registry-cache-it-credentials").get();
    assertEquals("s3cret-1", new String(Base64.getDecoder().decode(copy.getData().get("registry-1.password"))));
    // the peers: a token of their own in the same Secret, a headless Service selecting the cache pods
    String peerToken = new String(Base64.getDecoder().decode(copy.getData().get("peer.token")));
    assertTrue(peerToken.length() >= 40, "a long random token: " + peerToken.length());
    assertFalse(config.contains(peerToken), "the token only in the Secret");
    io.fabric8.kubernetes.api.model.Service peers = admin.services().inNamespace(NS).withName("registry-cache-it-peers")
        .get();
    assertEquals("None", peers.getSpec().getClusterIP());
    assertEquals(ds.getSpec().getSelector().getMatchLabels(), peers.getSpec().getSelector());
    assertEquals(5003, peers.getSpec().getPorts().get(0).getPort());
    assertEquals(rc.getMetadata().getUid(), peers.getMetadata().getOwnerReferences().get(0).getUid());

    Condition ready = await("status from the DaemonSet controller", SETTLE, () -> {
      Condition c = condition("it", "Ready");
      return c != null && "NoNodesSelected".equals(c.getReason()) ? c : null;
    });
    assertEquals("False", ready.getStatus());
    RegistryCache withStatus = caches().withName("it").get();
    assertEquals(1L, withStatus.getStatus().observedGeneration);
    assertEquals("0/0", withStatus.getStatus().ready);
    assertEquals("docker.io,quay.io", withStatus.getStatus().registries);
    String table = KitCluster.kubectl("get", "regcache", "it");
    assertTrue(table.contains("0/0") && table.contains("NoNodesSelected") && table.contains("docker.io,quay.io"), table);
  }

  @Test
  @Order(3)
  void aSpecChangeRollsTheDaemonSetAndTheStatusFollows() {
    String before = configHash();
    RegistryCache rc = caches().withName("it").get();
    rc.getSpec().port = 5055;
    caches().resource(rc).update();
    String after = await("a new config hash", SETTLE, () -> {
      String h = configHash();
      return h != null && !h.equals(before) ? h : null;
    });
    assertNotEquals(before, after);
    assertEquals(5055, daemonSet().getSpec().getTemplate().getSpec().getContainers().get(0).getPorts().stream()
        .filter(p -> p.getName().equals("cache")).findFirst().orElseThrow().getHostPort());
    await("observedGeneration 2", SETTLE, () -> caches().withName("it").get().getStatus().observedGeneration == 2L);
  }

  @Test
  @Order(4)
  void aRotatedPasswordReachesTheCopyAndRollsNothing() throws Exception {
    String before = configHash();
    String generation = String.valueOf(daemonSet().getMetadata().getGeneration());
    admin.secrets().resource(credentials("s3cret-2")).forceConflicts().serverSideApply();
    await("the rotated password in the copy (a watch: sooner than the 60 s resync)", Duration.ofSeconds(20), () -> {
      Secret copy = admin.secrets().inNamespace(NS).withName("registry-cache-it-credentials").get();
      return "s3cret-2".equals(new String(Base64.getDecoder().decode(copy.getData().get("registry-1.password"))));
    });
    Thread.sleep(3000);
    assertEquals(before, configHash(), "the caches read the new file: no pod restarts");
    assertEquals(generation, String.valueOf(daemonSet().getMetadata().getGeneration()), "the DaemonSet did not change");
    assertTrue(daemonSet().getSpec().getTemplate().getMetadata().getAnnotations().values().stream()
        .noneMatch(v -> v.contains("s3cret")), "nothing of the password on the pods");
  }

  /**
   * What a cache pod does on a node that cannot be configured, done here as the cache pods'
   * ServiceAccount with the chart's RBAC (there is no kubelet): its condition is merged with the
   * ones already there, and the operator names the node with the cache's reason. The pod does
   * not match the DaemonSet's selector, so the DaemonSet controller leaves it alone.
   */
  @Test
  @Order(5)
  void aCachePodsReasonForItsNodeReachesTheStatus() {
    admin.nodes().resource(new NodeBuilder().withNewMetadata().withName("ghost-node").endMetadata().build())
        .forceConflicts().serverSideApply();
    try {
      Pod probe = admin.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName("cache-probe")
              .withLabels(Map.of("app.kubernetes.io/managed-by", "registry-cache-operator", "registrycache.dev/cache", "it"))
          .endMetadata()
          .withNewSpec().withNodeName("ghost-node").addNewContainer().withName("cache").withImage("example.test/x:1")
            .endContainer().endSpec().build()).create();
      probe.setStatus(new PodStatusBuilder().withPhase("Pending")
          .addNewCondition().withType("PodScheduled").withStatus("True").endCondition().build());
      admin.pods().inNamespace(NS).resource(probe).updateStatus();

      Config cfg = new ConfigBuilder(admin.getConfiguration()).withOauthToken(token("registry-cache-it-node"))
          .withClientCertData(null).withClientKeyData(null).withClientCertFile(null).withClientKeyFile(null)
          .withNamespace(NS).build();
      try (KubernetesClient cachePod = new KubernetesClientBuilder().withConfig(cfg).build()) {
        new PodConditionReporter(() -> cachePod, NS, "cache-probe").report(false,
            "node cannot be configured: containerd: /etc/containerd/config.toml has no config_path");
        KubernetesClientException listing = assertThrows(KubernetesClientException.class,
            () -> cachePod.pods().inNamespace(NS).list());
        assertEquals(403, listing.getCode(), "the cache pods may write their status, not list pods");
      }
      Pod written = admin.pods().inNamespace(NS).withName("cache-probe").get();
      List<String> types = written.getStatus().getConditions().stream().map(c -> c.getType()).toList();
      assertTrue(types.containsAll(List.of("PodScheduled", "registrycache.dev/NodeConfigured")), types.toString());

      NodeProblem problem = await("ghost-node named in the status with the cache's reason", SETTLE,
          () -> caches().withName("it").get().getStatus().nodesNotCaching.stream()
              .filter(n -> "ghost-node".equals(n.node) && n.message.contains("config_path")).findFirst().orElse(null));
      assertEquals("NodeNotConfigurable", problem.reason);
      assertTrue(problem.message.contains("has no config_path"), problem.message);
    } finally {
      admin.pods().inNamespace(NS).withName("cache-probe").withGracePeriod(0).delete();
      admin.nodes().withName("ghost-node").delete();
    }
    await("ghost-node no longer named", SETTLE, () -> caches().withName("it").get().getStatus().nodesNotCaching
        .stream().noneMatch(n -> "ghost-node".equals(n.node)));
  }

  @Test
  @Order(6)
  void aDaemonSetUpdateIsAnEventNamingTheNewHash() throws Exception {
    String hash = configHash();
    await("an Updated event with the config hash " + hash, SETTLE, () -> admin.v1().events().inNamespace("default")
        .list().getItems().stream().anyMatch(e -> "it".equals(e.getInvolvedObject().getName())
            && "Updated".equals(e.getReason()) && e.getMessage().startsWith("DaemonSet ")
            && e.getMessage().contains("-> " + hash)));
    Thread.sleep(3000);
    // one spec change (the port) so far, and a password rotation that changes no DaemonSet
    assertEquals(1, admin.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> "it".equals(e.getInvolvedObject().getName()) && "Updated".equals(e.getReason())
            && e.getMessage().startsWith("DaemonSet ")).mapToInt(e -> e.getCount() == null ? 1 : e.getCount()).sum(),
        "an Updated event means a real change");
  }


  @Test
  @Order(7)
  void aMissingSecretIsReportedInTheStatus() {
    RegistryCacheSpec spec = new RegistryCacheSpec();
    RegistrySpec r = new RegistrySpec("ghcr.io", null);
    r.credentialsSecretRef = new SecretReference(TEAM_NS, "does-not-exist");
    spec.registries.add(r);
    caches().resource(cache("it-missing", spec)).create();
    Condition degraded = await("Degraded SecretNotFound", SETTLE, () -> {
      Condition c = condition("it-missing", "Degraded");
      return c != null && "SecretNotFound".equals(c.getReason()) ? c : null;
    });
    assertEquals("True", degraded.getStatus());
    assertTrue(degraded.getMessage().contains(TEAM_NS + "/does-not-exist"), degraded.getMessage());
    assertEquals("False", condition("it-missing", "Ready").getStatus());
  }

  @Test
  @Order(10)
  void aSecretOutsideTheAllowedNamespacesIsRefusedWithoutReadingIt() {
    admin.secrets().resource(new SecretBuilder().withNewMetadata().withName("it-foreign").withNamespace("default")
        .endMetadata().withStringData(Map.of("username", "x", "password", "s3cret-foreign")).build())
        .forceConflicts().serverSideApply();
    try {
      RegistryCacheSpec spec = new RegistryCacheSpec();
      RegistrySpec r = new RegistrySpec("ghcr.io", "https://attacker.example");
      r.credentialsSecretRef = new SecretReference("default", "it-foreign");
      spec.registries.add(r);
      caches().resource(cache("it-elsewhere", spec)).create();
      Condition degraded = await("Degraded SecretNamespaceNotAllowed", SETTLE, () -> {
        Condition c = condition("it-elsewhere", "Degraded");
        return c != null && "SecretNamespaceNotAllowed".equals(c.getReason()) ? c : null;
      });
      assertTrue(degraded.getMessage().contains("default/it-foreign") && degraded.getMessage().contains(TEAM_NS),
          degraded.getMessage());
      assertNull(daemonSet("it-elsewhere"));
      assertNull(admin.secrets().inNamespace(NS).withName("registry-cache-it-elsewhere-credentials").get(),
          "nothing copied");
    } finally {
      admin.secrets().inNamespace("default").withName("it-foreign").delete();
    }
  }

  @Test
  @Order(11)
  void whatTheApiServerWouldRefuseLaterIsRefusedUpFront() {
    RegistryCacheSpec spec = new RegistryCacheSpec();
    spec.adminPort = 5000;
    spec.storage.hostPath = "/var/lib/kubelet/cache";
    caches().resource(cache("it-invalid", spec)).create();
    Condition degraded = await("Degraded InvalidSpec", SETTLE, () -> {
      Condition c = condition("it-invalid", "Degraded");
      return c != null && "InvalidSpec".equals(c.getReason()) ? c : null;
    });
    assertTrue(degraded.getMessage().contains("port and adminPort are both 5000"), degraded.getMessage());
    assertNull(daemonSet("it-invalid"), "nothing applied");
    RegistryCache rc = caches().withName("it-invalid").get();
    rc.getSpec().adminPort = 5001;
    caches().resource(rc).update();
    Condition paths = await("Degraded InvalidSpec for the path", SETTLE, () -> {
      Condition c = condition("it-invalid", "Degraded");
      return c != null && c.getMessage().contains("/var/lib/kubelet") ? c : null;
    });
    assertTrue(paths.getMessage().contains("system directory"), paths.getMessage());
    KubernetesClientException e = assertThrows(KubernetesClientException.class, () -> {
      RegistryCacheSpec dots = new RegistryCacheSpec();
      dots.storage.hostPath = "/var/lib/../../etc";
      caches().resource(cache("it-dots", dots)).create();
    });
    assertTrue(e.getMessage().contains("spec.storage.hostPath"), e.getMessage());
    caches().withName("it-invalid").delete();
  }

  @Test
  @Order(12)
  void anObjectTheApiServerRefusesIsInTheStatusInItsWords() {
    RegistryCacheSpec spec = new RegistryCacheSpec();
    spec.tolerations = List.of(new io.fabric8.kubernetes.api.model.TolerationBuilder().withKey("k")
        .withOperator("Exists").withEffect("Sometimes").build());
    caches().resource(cache("it-refused", spec)).create();
    Condition degraded = await("Degraded ApplyFailed", SETTLE, () -> {
      Condition c = condition("it-refused", "Degraded");
      return c != null && "ApplyFailed".equals(c.getReason()) ? c : null;
    });
    assertTrue(degraded.getMessage().contains("tolerations") && degraded.getMessage().contains("Sometimes"),
        degraded.getMessage());
    assertEquals("False", condition("it-refused", "Ready").getStatus());
    caches().withName("it-refused").delete();
  }

  /**
   * Admission refusing the cache pods (here a quota of no pods in the operator's namespace, the
   * way Pod Security admission would) reaches the status in the API server's words, from the
   * DaemonSet controller's FailedCreate event.
   */
  @Test
  @Order(13)
  void podsTheDaemonSetCannotCreateAreInTheStatus() {
    admin.resourceQuotas().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.ResourceQuotaBuilder()
        .withNewMetadata().withName("no-pods").endMetadata().withNewSpec().addToHard("pods",
            new io.fabric8.kubernetes.api.model.Quantity("0")).endSpec().build()).forceConflicts().serverSideApply();
    try {
      RegistryCacheSpec spec = new RegistryCacheSpec();
      spec.port = 5098;
      spec.adminPort = 5099;
      RegistryCache rc = cache("it-quota", spec);
      rc.getSpec().nodeSelector = Map.of("kubernetes.io/hostname", "kit-node");
      caches().resource(rc).create();
      Condition ready = await("Ready PodsNotCreated", SETTLE, () -> {
        Condition c = condition("it-quota", "Ready");
        return c != null && "PodsNotCreated".equals(c.getReason()) ? c : null;
      });
      assertTrue(ready.getMessage().contains("exceeded quota"), ready.getMessage());
      assertEquals("PodsNotCreated", condition("it-quota", "Degraded").getReason());
    } finally {
      caches().withName("it-quota").delete();
      await("its DaemonSet gone", SETTLE, () -> daemonSet("it-quota") == null);
      admin.resourceQuotas().inNamespace(NS).withName("no-pods").delete();
    }
  }

  /** A restarted operator finds everything as it should be: it writes nothing and records no event. */
  @Test
  @Order(14)
  void aRestartedOperatorWritesNothing() throws Exception {
    // what the tests before changed (RegistryCaches created and deleted) has settled
    await("a status that stays as it is for 5 s", SETTLE, () -> {
      String v = caches().withName("it").get().getMetadata().getResourceVersion();
      try {
        Thread.sleep(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return v.equals(caches().withName("it").get().getMetadata().getResourceVersion()) ? v : null;
    });
    String dsVersion = daemonSet().getMetadata().getResourceVersion();
    String cmVersion = admin.configMaps().inNamespace(NS).withName("registry-cache-it-config").get()
        .getMetadata().getResourceVersion();
    String rcVersion = caches().withName("it").get().getMetadata().getResourceVersion();
    long updates = updatedEvents();
    stopOperator();
    startOperator();
    Thread.sleep(10_000); // the first reconciliation of every RegistryCache after the informers synced
    assertEquals(dsVersion, daemonSet().getMetadata().getResourceVersion(), "the DaemonSet was not written");
    assertEquals(cmVersion, admin.configMaps().inNamespace(NS).withName("registry-cache-it-config").get()
        .getMetadata().getResourceVersion(), "the ConfigMap was not written");
    assertEquals(rcVersion, caches().withName("it").get().getMetadata().getResourceVersion(), "no status write");
    assertEquals(updates, updatedEvents(), "no Updated event");
  }

  private long updatedEvents() {
    return admin.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> "it".equals(e.getInvolvedObject().getName()) && "Updated".equals(e.getReason())).count();
  }

  /** A second installation, in another namespace, stands by: not ready, saying who acts, doing nothing. */
  @Test
  @Order(15)
  void aSecondInstallationStandsBy() throws Exception {
    String other = "registry-cache-it-other";
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(other).endMetadata().build())
        .forceConflicts().serverSideApply();
    Path logFile = Files.createTempFile("operator-other", ".log");
    Process second = operatorProcess(other, KitCluster.ADMIN_KUBECONFIG, "127.0.0.1:18081", logFile);
    try {
      String body = await("/readyz says another installation acts (log " + logFile + ")", SETTLE, () -> {
        String b = awaitReadyz("127.0.0.1:18081", second, logFile, 503);
        return b.contains("another installation") ? b : null;
      });
      assertTrue(body.contains(NS), body);
      await("its log says so", SETTLE, () -> read(logFile).contains("does nothing until that one goes"));
      Thread.sleep(3000);
      assertTrue(admin.apps().daemonSets().inNamespace(other).list().getItems().isEmpty(), "it created nothing");
      assertTrue(admin.configMaps().inNamespace(other).list().getItems().stream()
          .noneMatch(c -> c.getMetadata().getName().startsWith("registry-cache-")), "it created nothing");
    } finally {
      second.destroy();
      if (!second.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
        second.destroyForcibly();
      }
      admin.namespaces().withName(other).delete();
    }
  }

  /**
   * A node whose CPU the image is not built for (a Node object as kubelet on an arm64 machine
   * registers it; no kubelet runs it): no cache pod goes there, and the status names it.
   */
  @Test
  @Order(16)
  void nodesOfAnotherArchitectureAreLeftOutAndNamed() {
    admin.nodes().resource(new NodeBuilder().withNewMetadata().withName("arm-ghost")
        .withLabels(Map.of("kubernetes.io/arch", "arm64", "kubernetes.io/os", "linux",
            "registrycache.dev/operator-it", "no-such-node-it-arch")).endMetadata().build())
        .forceConflicts().serverSideApply();
    try {
      caches().resource(cache("it-arch", new RegistryCacheSpec())).create();
      Condition degraded = await("Degraded UnsupportedArchitecture", SETTLE, () -> {
        Condition c = condition("it-arch", "Degraded");
        return c != null && "UnsupportedArchitecture".equals(c.getReason()) ? c : null;
      });
      assertTrue(degraded.getMessage().contains("arm-ghost") && degraded.getMessage().contains("amd64"),
          degraded.getMessage());
      NodeProblem p = caches().withName("it-arch").get().getStatus().nodesNotCaching.get(0);
      assertEquals(List.of("arm-ghost", "UnsupportedArchitecture"), List.of(p.node, p.reason));
      assertEquals(0, daemonSet("it-arch").getStatus() == null || daemonSet("it-arch").getStatus()
          .getDesiredNumberScheduled() == null ? 0 : daemonSet("it-arch").getStatus().getDesiredNumberScheduled(),
          "the DaemonSet does not select it");
    } finally {
      caches().withName("it-arch").delete();
      admin.nodes().withName("arm-ghost").delete();
    }
  }

  @Test
  @Order(50)
  void overlappingSelectionsLeaveTheNodesToTheOlderOneUntilItGoes() throws Exception {
    RegistryCacheSpec zone = new RegistryCacheSpec();
    zone.nodeSelector = Map.of("registrycache.dev/operator-it-zone", "a");
    caches().resource(cache("it-older", zone, "overlap")).create();
    await("the older one's DaemonSet", SETTLE, () -> daemonSet("it-older"));
    Thread.sleep(1100); // creation times have seconds: the order is then unambiguous
    RegistryCacheSpec gpu = new RegistryCacheSpec();
    gpu.nodeSelector = Map.of("registrycache.dev/operator-it-gpu", "true");
    caches().resource(cache("it-younger", gpu, "overlap")).create();

    Condition younger = await("younger Degraded NodeSelectionConflict", SETTLE, () -> {
      Condition c = condition("it-younger", "Degraded");
      return c != null && "NodeSelectionConflict".equals(c.getReason()) ? c : null;
    });
    assertTrue(younger.getMessage().contains("it-older"), younger.getMessage());
    Condition older = await("older Degraded NodeSelectionConflict", SETTLE, () -> {
      Condition c = condition("it-older", "Degraded");
      return c != null && "NodeSelectionConflict".equals(c.getReason()) ? c : null;
    });
    assertTrue(older.getMessage().contains("it-younger"), older.getMessage());
    var expr = await("the younger one's affinity", SETTLE, () -> daemonSet("it-younger")).getSpec().getTemplate()
        .getSpec().getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
        .getNodeSelectorTerms().get(0).getMatchExpressions().get(0);
    assertEquals(List.of("registrycache.dev/operator-it-zone", "NotIn", List.of("a")),
        List.of(expr.getKey(), expr.getOperator(), expr.getValues()));
    // the table's REASON follows the status as it settles (it may still say Starting for a moment)
    await("kubectl get regcache it-younger says NodeSelectionConflict", SETTLE, () -> {
      try {
        return KitCluster.kubectl("get", "regcache", "it-younger").contains("NodeSelectionConflict");
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    });

    caches().withName("it-older").delete();
    await("the NotIn terms removed once the older one is gone (the image's architectures stay)", SETTLE,
        () -> caches().withName("it-older").get() == null && daemonSet("it-younger").getSpec().getTemplate().getSpec()
            .getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms()
            .stream().flatMap(t -> t.getMatchExpressions().stream()).noneMatch(e -> "NotIn".equals(e.getOperator())));
    await("younger no longer Degraded", SETTLE, () -> "AsExpected".equals(condition("it-younger", "Degraded").getReason()));
    caches().withName("it-younger").delete();
    await("younger gone", SETTLE, () -> caches().withName("it-younger").get() == null);
  }

  @Test
  @Order(99)
  void deletingIsImmediateAndGarbageCollectsEveryDependent() {
    caches().withName("it").delete();
    await("RegistryCache gone, with no finalizer to wait for", Duration.ofSeconds(10),
        () -> caches().withName("it").get() == null);
    await("every dependent collected", SETTLE, () -> daemonSet() == null
        && admin.configMaps().inNamespace(NS).withName("registry-cache-it-config").get() == null
        && admin.secrets().inNamespace(NS).withName("registry-cache-it-credentials").get() == null);
    assertFalse(log().contains("is forbidden"), "the operator never lacked a permission: " + log());
    assertFalse(log().contains("could not record event"), "events are recorded: " + log());
  }
}
