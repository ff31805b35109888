package dev.registrycache.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.api.v1alpha1.RegistryCacheSpec;
import dev.registrycache.config.CacheConfig;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * manifests/examples/ read as the operator reads RegistryCaches, turned into the cache config
 * (loaded by the cache's own ConfigLoader) and the DaemonSet. ChartOnApiServerIT sends them to
 * the real API server.
 */
class ExamplesTest {
  static final Path EXAMPLES = Path.of("manifests/examples");

  @TempDir
  Path tmp;

  private static RegistryCache read(String file) throws Exception {
    return new KubernetesSerialization().unmarshal(Files.readString(EXAMPLES.resolve(file)), RegistryCache.class);
  }

  private CacheConfig load(CacheConfigModel model) throws Exception {
    return LoadedConfig.of(model, tmp);
  }

  @Test
  void theMinimalExampleCachesTheDefaultRegistriesOnEveryLinuxNode() throws Exception {
    RegistryCache rc = read("minimal.yaml");
    CacheConfig c = load(CacheConfigModel.of(rc.effectiveSpec(), Map.of()));
    assertEquals(8, c.registries().size(), c.registries().toString());
    assertEquals(5000, c.listen().port());
    DaemonSet ds = DaemonSetModel.desired(rc, new OperatorSettings("registry-cache", "img:1", "IfNotPresent", "text"),
        CacheConfigModel.of(rc.effectiveSpec(), Map.of()));
    assertEquals(Map.of("kubernetes.io/os", "linux"), ds.getSpec().getTemplate().getSpec().getNodeSelector());
  }

  @Test
  void theFullExampleSetsEveryFieldItShows() throws Exception {
    RegistryCache rc = read("full.yaml");
    RegistryCacheSpec spec = rc.effectiveSpec();
    Map<String, RegistryCredentials> creds = new HashMap<>();
    spec.registries.stream().filter(r -> r.credentialsSecretRef != null)
        .forEach(r -> creds.put(r.name, new RegistryCredentials("user", "pw")));
    assertEquals(2, creds.size());
    CacheConfigModel model = CacheConfigModel.of(spec, creds, new RegistryCredentials("cache", "proxy-pw"));
    CacheConfig c = load(model);
    assertEquals("cache", c.upstreamProxy().username());
    assertEquals("10%", spec.maxUnavailable.getStrVal());
    assertEquals(List.of("docker.io", "quay.io", "registry.k8s.io", "ghcr.io", "registry.example.com:5000"),
        c.registries().stream().map(r -> r.name()).toList());
    assertEquals("10m", c.registry("docker.io").tagTtl());
    assertEquals("https://registry-1.docker.io", c.registry("docker.io").url());
    assertEquals(50L << 30, c.maxSizeBytes());
    assertEquals(5L << 30, c.minFreeBytes());
    DaemonSet ds = DaemonSetModel.desired(rc, new OperatorSettings("registry-cache", "img:1", "IfNotPresent", "text"),
        model);
    PodSpec pod = ds.getSpec().getTemplate().getSpec();
    assertEquals(Map.of("node-role.example.com/build", "true"), pod.getNodeSelector());
    assertEquals("node-role.example.com/build", pod.getTolerations().get(0).getKey());
    assertEquals("512Mi", pod.getContainers().get(0).getResources().getLimits().get("memory").toString());
    assertEquals("http://proxy.example.com:3128", c.upstreamProxy().httpsProxy(), "the proxy reaches the cache");
    assertTrue(pod.getVolumes().stream().anyMatch(v -> v.getHostPath() != null
        && v.getHostPath().getPath().equals("/etc/containerd/certs.d")), "containerd's configDir mounted");
  }
}
