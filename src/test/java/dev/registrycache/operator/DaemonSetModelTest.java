package dev.registrycache.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.api.v1alpha1.RegistryCacheSpec;
import dev.registrycache.api.v1alpha1.RuntimeSpec;
import dev.registrycache.api.v1alpha1.UpstreamProxySpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The desired cache DaemonSet, field by field. */
class DaemonSetModelTest {
  private static DaemonSet ds(RegistryCacheSpec spec, Map<String, RegistryCredentials> creds) {
    RegistryCache rc = Specs.cache("main", spec);
    return DaemonSetModel.desired(rc, Specs.SETTINGS, CacheConfigModel.of(spec, creds));
  }

  private static String env(Container c, String name) {
    return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst().orElse(null);
  }

  private static Volume volume(PodSpec pod, String name) {
    return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst().orElse(null);
  }

  /**
   * /metrics for Prometheus on the node's address (the pod IP from the downward API), on a port
   * of its own with a host port, secure unless the operator is installed plain; the loopback
   * admin port as before.
   */
  @Test
  void metricsOnTheNodesAddressOnAPortOfTheirOwn() {
    RegistryCacheSpec spec = new RegistryCacheSpec();
    spec.metricsPort = 9443;
    Container c = ds(spec, Map.of()).getSpec().getTemplate().getSpec().getContainers().get(0);
    EnvVar ip = c.getEnv().stream().filter(e -> e.getName().equals(DaemonSetModel.POD_IP)).findFirst().orElseThrow();
    assertEquals("status.podIP", ip.getValueFrom().getFieldRef().getFieldPath());
    assertEquals("$(" + DaemonSetModel.POD_IP + "):9443", env(c, "REGISTRY_CACHE_METRICS_LISTEN"));
    assertTrue(c.getEnv().indexOf(ip) < c.getEnv().indexOf(c.getEnv().stream()
        .filter(e -> e.getName().equals("REGISTRY_CACHE_METRICS_LISTEN")).findFirst().orElseThrow()),
        "defined before it is referred to, or kubelet leaves $(...) as it is");
    assertEquals("true", env(c, "REGISTRY_CACHE_METRICS_SECURE"));
    var port = c.getPorts().stream().filter(p -> p.getName().equals(ResourceNames.METRICS_PORT)).findFirst().orElseThrow();
    assertEquals(9443, port.getContainerPort());
    assertEquals(9443, port.getHostPort());
    assertEquals(5001, c.getReadinessProbe().getHttpGet().getPort().getIntVal(), "probes stay on the loopback admin port");
    Container plain = DaemonSetModel.desired(Specs.cache("main", spec), Specs.SETTINGS.withMetricsSecure(false),
        CacheConfigModel.of(spec, Map.of())).getSpec().getTemplate().getSpec().getContainers().get(0);
    assertEquals("false", env(plain, "REGISTRY_CACHE_METRICS_SECURE"));
  }

  @Test
  void defaultsForAStockCluster() {
    DaemonSet ds = ds(new RegistryCacheSpec(), Map.of());
    assertEquals("registry-cache-main", ds.getMetadata().getName());
    assertEquals("rc-system", ds.getMetadata().getNamespace());
    assertEquals(Map.of("app.kubernetes.io/name", "registry-cache", "registrycache.dev/cache", "main"),
        ds.getSpec().getSelector().getMatchLabels());
    assertEquals("RollingUpdate", ds.getSpec().getUpdateStrategy().getType());
    assertEquals("10%", ds.getSpec().getUpdateStrategy().getRollingUpdate().getMaxUnavailable().getStrVal(),
        "a thousand nodes roll a hundred at a time");
    assertNull(ds.getSpec().getUpdateStrategy().getRollingUpdate().getMaxSurge(), "no surge (and 1.20 has no such field)");
    PodSpec pod = ds.getSpec().getTemplate().getSpec();
    assertTrue(pod.getHostNetwork());
    assertEquals("system-node-critical", pod.getPriorityClassName());
    assertEquals("Exists", pod.getTolerations().get(0).getOperator(), "tolerates every taint");
    assertEquals(Map.of("kubernetes.io/os", "linux"), pod.getNodeSelector());
    assertEquals(OperatorSettings.DEFAULT_NODE_SERVICE_ACCOUNT, pod.getServiceAccountName(), "the chart's, bound exactly");
    assertTrue(pod.getAutomountServiceAccountToken(), "the cache writes its node's state into its pod status");
    assertEquals(DaemonSetModel.TERMINATION_GRACE_SECONDS, pod.getTerminationGracePeriodSeconds());
    Container c = pod.getContainers().get(0);
    assertEquals("example.test/registry-cache:1", c.getImage());
    assertEquals(List.of("cache", "--config", "/etc/registry-cache/config.yaml", "--configure-node"), c.getArgs());
    assertEquals("/readyz", c.getReadinessProbe().getHttpGet().getPath());
    assertEquals("127.0.0.1", c.getReadinessProbe().getHttpGet().getHost(), "the admin port is on loopback");
    assertEquals(5001, c.getReadinessProbe().getHttpGet().getPort().getIntVal());
    assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem());
    assertFalse(c.getSecurityContext().getAllowPrivilegeEscalation());
    assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop());
    assertEquals(DaemonSetModel.CAPABILITIES, c.getSecurityContext().getCapabilities().getAdd());
    assertEquals("/var/lib/registry-cache", volume(pod, "storage").getHostPath().getPath());
    assertNull(volume(pod, "host-etc"), "never the node's whole /etc");
    assertEquals(Map.of("/host/etc/containerd", true, "/host/etc/containerd/certs.d", false, "/host/etc/crio", true,
        "/host/etc/containers", true, "/host/etc/containers/registries.conf.d", false), hostMounts(c),
        "no node known yet: both runtimes' configuration read-only, only their mirror directories writable");
    assertTrue(pod.getHostPID(), "CRI-O may be there: it is reloaded with SIGHUP");
    assertEquals("true", env(c, "REGISTRY_CACHE_RELOAD_CRIO"));
    assertEquals("512Mi", c.getResources().getLimits().get("memory").toString());
    assertEquals("256Mi", c.getResources().getRequests().get("memory").toString());
    assertNull(c.getResources().getLimits().get("cpu"), "pulls are never throttled");
    assertEquals("-XX:MaxRAMPercentage=25", env(c, "JDK_JAVA_OPTIONS"), "the heap from the memory limit");
    var arch = pod.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
        .getNodeSelectorTerms().get(0).getMatchExpressions().get(0);
    assertEquals("kubernetes.io/arch", arch.getKey());
    assertEquals(List.of("amd64"), arch.getValues(), "only nodes the image runs on");
    assertNull(volume(pod, "credentials"));
    assertEquals("json", env(c, "REGISTRY_CACHE_LOG_FORMAT"));
    assertEquals("/host", env(c, "REGISTRY_CACHE_HOST_ROOT"));
    assertNull(env(c, "REGISTRY_CACHE_CONTAINERD_CERTS_DIR"));
    assertNull(env(c, "HTTPS_PROXY"));
    assertTrue(ds.getSpec().getTemplate().getMetadata().getAnnotations().containsKey(ResourceNames.CONFIG_HASH));
    assertEquals("metadata.name", fieldPath(c, "REGISTRY_CACHE_POD_NAME"));
    assertEquals("metadata.namespace", fieldPath(c, "REGISTRY_CACHE_POD_NAMESPACE"));
    assertNull(env(c, "KUBERNETES_SERVICE_HOST"), "the operator had none to pass on");
  }

  /** Mount paths under /host, each with whether it is read-only. */
  private static Map<String, Boolean> hostMounts(Container c) {
    Map<String, Boolean> out = new java.util.TreeMap<>();
    c.getVolumeMounts().stream().filter(m -> m.getMountPath().startsWith("/host/"))
        .forEach(m -> out.put(m.getMountPath(), Boolean.TRUE.equals(m.getReadOnly())));
    return out;
  }

  private static DaemonSet onNodes(RegistryCacheSpec spec, OperatorSettings settings, ClusterNodes.NodeFacts... nodes) {
    RegistryCache rc = Specs.cache("main", spec);
    return DaemonSetModel.desired(rc, settings, CacheConfigModel.of(spec, Map.of()), NodeSelection.of(rc, List.of()),
        new ClusterNodes(List.of(nodes)));
  }

  private static ClusterNodes.NodeFacts node(String name, ClusterNodes.Runtime runtime, String... labels) {
    Map<String, String> l = new java.util.HashMap<>(Map.of("kubernetes.io/os", "linux", "kubernetes.io/arch", "amd64"));
    for (int i = 0; i < labels.length; i += 2) {
      l.put(labels[i], labels[i + 1]);
    }
    return new ClusterNodes.NodeFacts(name, l, runtime);
  }

  @Test
  void detectionMountsOnlyTheRuntimesTheSelectedNodesRun() {
    RegistryCacheSpec spec = new RegistryCacheSpec();
    PodSpec containerd = onNodes(spec, Specs.SETTINGS, node("a", ClusterNodes.Runtime.CONTAINERD),
        node("b", ClusterNodes.Runtime.CRIO, "kubernetes.io/os", "windows")).getSpec().getTemplate().getSpec();
    assertEquals(Map.of("/host/etc/containerd", true, "/host/etc/containerd/certs.d", false),
        hostMounts(containerd.getContainers().get(0)), "a Windows node running CRI-O is not selected");
    assertNull(containerd.getHostPID(), "no CRI-O: not the node's PID namespace");
    assertNull(env(containerd.getContainers().get(0), "REGISTRY_CACHE_RELOAD_CRIO"));

    PodSpec crio = onNodes(spec, Specs.SETTINGS, node("a", ClusterNodes.Runtime.CRIO)).getSpec().getTemplate().getSpec();
    assertEquals(Map.of("/host/etc/crio", true, "/host/etc/containers", true,
        "/host/etc/containers/registries.conf.d", false), hostMounts(crio.getContainers().get(0)));
    assertTrue(crio.getHostPID());
    spec.runtimes.crio.reload = false;
    PodSpec noReload = onNodes(spec, Specs.SETTINGS, node("a", ClusterNodes.Runtime.CRIO)).getSpec().getTemplate().getSpec();
    assertNull(noReload.getHostPID(), "reload off: the node's processes stay out of sight");
  }

  @Test
  void controlPlaneNodesAndArchitecturesAreTheOperatorsChoice() {
    RegistryCacheSpec spec = new RegistryCacheSpec();
    OperatorSettings settings = Specs.SETTINGS.withControlPlaneNodes(false).withImageArchitectures(List.of("amd64", "arm64"));
    var terms = onNodes(spec, settings).getSpec().getTemplate().getSpec().getAffinity().getNodeAffinity()
        .getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms();
    assertEquals(1, terms.size());
    List<String> rules = terms.get(0).getMatchExpressions().stream()
        .map(e -> e.getKey() + " " + e.getOperator() + " " + e.getValues()).toList();
    assertEquals(List.of("kubernetes.io/arch In [amd64, arm64]", "node-role.kubernetes.io/control-plane DoesNotExist []",
        "node-role.kubernetes.io/master DoesNotExist []"), rules);
    assertEquals("Exists", onNodes(spec, settings).getSpec().getTemplate().getSpec().getTolerations().get(0).getOperator(),
        "every other taint is still tolerated");

    spec.nodeSelector = Map.of("kubernetes.io/arch", "arm64");
    assertNull(onNodes(spec, Specs.SETTINGS).getSpec().getTemplate().getSpec().getAffinity(),
        "a selector that names the architecture is the user's choice");
  }

  @Test
  void thePeerEndpointHasAPortOfItsOwnOnTheNodesAddress() {
    RegistryCacheSpec spec = new RegistryCacheSpec();
    Container c = ds(spec, Map.of()).getSpec().getTemplate().getSpec().getContainers().get(0);
    var peer = c.getPorts().stream().filter(p -> p.getName().equals("peer")).findFirst().orElseThrow();
    assertEquals(5003, peer.getHostPort(), "a host port: the scheduler keeps two caches off one node");
    assertEquals("status.podIP", fieldPath(c, "REGISTRY_CACHE_POD_IP"), "the node's address under hostNetwork");
    spec.peers.mode = "disabled";
    Container off = ds(spec, Map.of()).getSpec().getTemplate().getSpec().getContainers().get(0);
    assertTrue(off.getPorts().stream().noneMatch(p -> p.getName().equals("peer")));
  }

  @Test
  void maxUnavailableFromTheSpec() {
    RegistryCacheSpec spec = new RegistryCacheSpec();
    spec.maxUnavailable = new io.fabric8.kubernetes.api.model.IntOrString(3);
    assertEquals(3, ds(spec, Map.of()).getSpec().getUpdateStrategy().getRollingUpdate().getMaxUnavailable().getIntVal());
  }

  private static String fieldPath(Container c, String name) {
    return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
        .map(e -> e.getValueFrom().getFieldRef().getFieldPath()).orElse(null);
  }

  @Test
  void theOperatorsWayToTheApiServerIsPassedOn() {
    OperatorSettings settings = new OperatorSettings("rc-system", "img:1", "IfNotPresent", "text",
        OperatorSettings.apiServerEnv(Map.of("KUBERNETES_SERVICE_HOST", "127.0.0.1", "KUBERNETES_SERVICE_PORT", "16043",
            "HOME", "/root")));
    RegistryCacheSpec spec = new RegistryCacheSpec();
    Container c = DaemonSetModel.desired(Specs.cache("main", spec), settings, CacheConfigModel.of(spec, Map.of()))
        .getSpec().getTemplate().getSpec().getContainers().get(0);
    assertEquals("127.0.0.1", env(c, "KUBERNETES_SERVICE_HOST"));
    assertEquals("16043", env(c, "KUBERNETES_SERVICE_PORT"));
    assertNull(env(c, "HOME"), "nothing else of the operator's environment");
  }

  @Test
  void explicitRuntimesMountExactlyTheirDirectories() {
    RegistryCacheSpec spec = new RegistryCacheSpec();
    spec.runtimes.containerd.mode = RuntimeSpec.ENABLED;
    spec.runtimes.containerd.configDir = "/etc/containerd-kit/certs.d";
    spec.runtimes.crio.mode = RuntimeSpec.DISABLED;
    spec.runtimes.defaultEntry = true;
    PodSpec pod = ds(spec, Map.of()).getSpec().getTemplate().getSpec();
    Container c = pod.getContainers().get(0);
    assertNull(volume(pod, "host-etc"), "no /etc when nothing is detected");
    assertEquals("/etc/containerd-kit/certs.d", volume(pod, "containerd-config").getHostPath().getPath());
    assertNull(volume(pod, "crio-config"));
    assertEquals(Map.of("/host/etc/containerd-kit/certs.d", false), hostMounts(c), "exactly the named directory");
    assertEquals("/host/etc/containerd-kit/certs.d", env(c, "REGISTRY_CACHE_CONTAINERD_CERTS_DIR"));
    assertEquals("true", env(c, "REGISTRY_CACHE_DEFAULT_ENTRY"));
    assertTrue(c.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/host/etc/containerd-kit/certs.d")));

    spec.runtimes.containerd.mode = RuntimeSpec.DISABLED;
    Container none = ds(spec, Map.of()).getSpec().getTemplate().getSpec().getContainers().get(0);
    assertTrue(none.getArgs().contains("--no-configure-node"), "nothing to configure: " + none.getArgs());
  }

  @Test
  void everyOtherField() {
    RegistryCacheSpec spec = Specs.withRegistries(Specs.registry("quay.io", null, "team", "creds"));
    spec.port = 6000;
    spec.adminPort = 6001;
    spec.nodeSelector = Map.of("cache", "yes");
    spec.tolerations = List.of();
    spec.priorityClassName = "high";
    spec.image = "mine/cache:2";
    spec.imagePullPolicy = "Always";
    spec.storage.hostPath = "/data/cache";
    spec.upstreamProxy = new UpstreamProxySpec();
    spec.upstreamProxy.httpsProxy = "http://proxy:3128";
    spec.upstreamProxy.noProxy = ".internal";
    spec.resources = new io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder()
        .withLimits(Map.of("memory", new io.fabric8.kubernetes.api.model.Quantity("1Gi"))).build();
    DaemonSet ds = ds(spec, Map.of("quay.io", new RegistryCredentials("u", "p")));
    PodSpec pod = ds.getSpec().getTemplate().getSpec();
    Container c = pod.getContainers().get(0);
    assertEquals(Map.of("cache", "yes"), pod.getNodeSelector());
    assertTrue(pod.getTolerations().isEmpty());
    assertEquals("high", pod.getPriorityClassName());
    assertEquals("mine/cache:2", c.getImage());
    assertEquals("Always", c.getImagePullPolicy());
    assertEquals(6000, c.getPorts().get(0).getHostPort());
    assertEquals(6001, c.getReadinessProbe().getHttpGet().getPort().getIntVal());
    assertEquals("/data/cache", volume(pod, "storage").getHostPath().getPath());
    assertEquals("registry-cache-main-credentials", volume(pod, "credentials").getSecret().getSecretName());
    assertEquals("1Gi", c.getResources().getLimits().get("memory").toString());
    assertNull(env(c, "HTTPS_PROXY"), "the proxy is in the config file, its password in the Secret");
    assertTrue(c.getEnv().stream().noneMatch(e -> e.getName().toLowerCase().contains("proxy")));
    String hash = ds.getSpec().getTemplate().getMetadata().getAnnotations().get(ResourceNames.CONFIG_HASH);
    String rotated = ds(spec, Map.of("quay.io", new RegistryCredentials("u", "p2")))
        .getSpec().getTemplate().getMetadata().getAnnotations().get(ResourceNames.CONFIG_HASH);
    assertEquals(hash, rotated, "a new password rolls nothing: the caches read it from the Secret's file");
    String renamed = ds(spec, Map.of("quay.io", new RegistryCredentials("u2", "p")))
        .getSpec().getTemplate().getMetadata().getAnnotations().get(ResourceNames.CONFIG_HASH);
    assertNotEquals(hash, renamed, "a new user is config: the pods roll");
  }

  @Test
  void nodesOfAnOlderOverlappingCacheAreLeftToItByAffinity() {
    RegistryCacheSpec olderSpec = new RegistryCacheSpec();
    olderSpec.nodeSelector = Map.of("zone", "a");
    RegistryCache older = Specs.cache("zone-a", olderSpec);
    older.getMetadata().setCreationTimestamp("2026-01-01T00:00:00Z");
    RegistryCacheSpec spec = new RegistryCacheSpec();
    spec.nodeSelector = Map.of("gpu", "true");
    RegistryCache rc = Specs.cache("main", spec);
    rc.getMetadata().setCreationTimestamp("2026-01-02T00:00:00Z");
    PodSpec pod = DaemonSetModel.desired(rc, Specs.SETTINGS, CacheConfigModel.of(spec, Map.of()),
        NodeSelection.of(rc, List.of(older, rc)), ClusterNodes.NONE).getSpec().getTemplate().getSpec();
    assertEquals(Map.of("gpu", "true"), pod.getNodeSelector());
    var terms = pod.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
        .getNodeSelectorTerms();
    assertEquals(1, terms.size());
    assertEquals("zone", terms.get(0).getMatchExpressions().get(0).getKey());
    assertEquals("NotIn", terms.get(0).getMatchExpressions().get(0).getOperator());
    assertEquals(List.of("a"), terms.get(0).getMatchExpressions().get(0).getValues());
    assertEquals("kubernetes.io/arch", terms.get(0).getMatchExpressions().get(1).getKey(),
        "the architectures in every term (terms are ORed)");
    assertEquals(1, ds(new RegistryCacheSpec(), Map.of()).getSpec().getTemplate().getSpec().getAffinity()
        .getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms().size(),
        "alone: one term, the architectures");
  }

  /**
   * The API server does not store {@code readOnly: false} nor an empty {@code emptyDir: {}};
   * a desired object holding them would differ from the applied one at every reconciliation
   * and be applied again each time.
   */
  @Test
  void nothingTheServerWouldDropSoEveryApplyMatches() {
    RegistryCacheSpec spec = Specs.withRegistries(Specs.registry("quay.io", null, "team", "creds"));
    String json = Serialization.asJson(ds(spec, Map.of("quay.io", new RegistryCredentials("u", "p"))));
    assertFalse(json.contains("\"readOnly\":false"), json);
    assertFalse(json.contains(":{}"), json);
    assertTrue(json.contains("\"readOnly\":true"), "the config stays read-only: " + json);
  }
}
