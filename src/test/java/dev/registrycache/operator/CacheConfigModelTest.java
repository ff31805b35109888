package dev.registrycache.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.api.v1alpha1.RegistryCacheSpec;
import dev.registrycache.config.CacheConfig;
import dev.registrycache.config.RegistryConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The config the ConfigMap carries, loaded by the cache's own ConfigLoader. */
class CacheConfigModelTest {
  @TempDir
  Path tmp;

  private CacheConfig load(CacheConfigModel model) throws Exception {
    return LoadedConfig.of(model, tmp);
  }

  @Test
  void defaultsGiveTheCacheItsDefaultRegistriesOnLoopback() throws Exception {
    CacheConfigModel m = CacheConfigModel.of(new RegistryCacheSpec(), Map.of());
    CacheConfig c = load(m);
    assertEquals("127.0.0.1", c.listen().host());
    assertEquals(5000, c.listen().port());
    assertEquals(5001, c.adminListen().port());
    assertEquals(Path.of(CacheConfigModel.STORAGE_MOUNT), c.storagePath());
    assertTrue(c.registries().stream().anyMatch(r -> r.name().equals("registry.k8s.io")), c.registries().toString());
    assertTrue(m.secretData().isEmpty());
  }

  @Test
  void privateContentReachesTheCacheAndNeedsARegistryWithoutCredentials() throws Exception {
    RegistryCacheSpec spec = Specs.withRegistries(Specs.registry("docker.io", null, null, null),
        Specs.registry("ghcr.io", null, null, null));
    spec.registries.get(1).privateContent = "bypass";
    CacheConfig c = load(CacheConfigModel.of(spec, Map.of()));
    assertTrue(c.registries().stream().filter(r -> r.name().equals("docker.io")).allMatch(r -> r.verifiesCallers()));
    assertTrue(c.registries().stream().filter(r -> r.name().equals("ghcr.io")).noneMatch(r -> r.verifiesCallers()));
  }

  /** The cache refused to start ("defaultRegistry docker.io is not among the registries"). */
  @Test
  void withoutDockerHubTheFirstRegistryIsTheDefault() throws Exception {
    CacheConfig c = load(CacheConfigModel.of(Specs.withRegistries(Specs.registry("quay.io", null, null, null),
        Specs.registry("ghcr.io", null, null, null)), Map.of()));
    assertEquals("quay.io", c.defaultRegistry());
    assertEquals("docker.io", load(CacheConfigModel.of(Specs.withRegistries(Specs.registry("quay.io", null, null, null),
        Specs.registry("docker.io", null, null, null)), Map.of())).defaultRegistry(), "docker.io stays the default");
  }

  @Test
  void registriesPortsSizesAndCredentialsAsFiles() throws Exception {
    RegistryCacheSpec spec = Specs.withRegistries(
        Specs.registry("docker.io", "http://127.0.0.1:15000", null, null),
        Specs.registry("quay.io", null, "team", "quay-creds"));
    spec.registries.get(0).tagTtl = "1m";
    spec.port = 5055;
    spec.adminPort = 5056;
    spec.storage.maxSize = "50GiB";
    spec.storage.minFreeSpace = "2GiB";
    CacheConfigModel m = CacheConfigModel.of(spec, Map.of("quay.io", new RegistryCredentials("robot", "s3cret")));
    assertFalse(m.configYaml().contains("s3cret"), "no password in the ConfigMap: " + m.configYaml());
    CacheConfig c = load(m);
    assertEquals(5055, c.listen().port());
    assertEquals(5056, c.adminListen().port());
    assertEquals(50L << 30, c.maxSizeBytes());
    assertEquals(2L << 30, c.minFreeBytes());
    assertEquals(2, c.registries().size());
    RegistryConfig docker = c.registry("docker.io");
    assertEquals("http://127.0.0.1:15000", docker.url());
    assertNull(docker.username());
    assertEquals("1m", docker.tagTtl());
    RegistryConfig quay = c.registry("quay.io");
    assertEquals("https://quay.io", quay.url());
    assertEquals("robot", quay.username());
    String file = quay.passwordFile();
    assertTrue(file.startsWith(CacheConfigModel.CREDENTIALS_MOUNT + "/"), file);
    assertEquals("s3cret", m.secretData().get(Path.of(file).getFileName().toString()));
  }

  @Test
  void theHashChangesWithTheConfigButNeverWithAPassword() {
    RegistryCacheSpec spec = Specs.withRegistries(Specs.registry("quay.io", null, "team", "quay-creds"));
    String a = CacheConfigModel.of(spec, Map.of("quay.io", new RegistryCredentials("robot", "one"))).hash();
    String b = CacheConfigModel.of(spec, Map.of("quay.io", new RegistryCredentials("robot", "two"))).hash();
    assertEquals(a, b, "a rotated password rolls nothing, and no hash of it is published on the pods");
    assertEquals(a, CacheConfigModel.of(spec, Map.of("quay.io", new RegistryCredentials("robot", "one"))).hash());
    spec.port = 5099;
    assertNotEquals(a, CacheConfigModel.of(spec, Map.of("quay.io", new RegistryCredentials("robot", "one"))).hash());
  }

  /** What the operator writes for the peers is what the cache reads (its own loader), the token a file. */
  @Test
  void thePeersAreConfigAndTheirTokenAFile() throws Exception {
    RegistryCacheSpec spec = new RegistryCacheSpec();
    PeerTokens tokens = new PeerTokens("tok-now", "tok-before", java.time.Instant.parse("2026-06-01T00:00:00Z"));
    CacheConfigModel m = CacheConfigModel.of(spec, Map.of(), null, tokens, "registry-cache-main-peers");
    assertTrue(!m.configYaml().contains("tok-now"), m.configYaml());
    assertEquals(Map.of(PeerTokens.TOKEN, "tok-now", PeerTokens.PREVIOUS, "tok-before"), m.secretData());
    CacheConfig c = LoadedConfig.of(m, tmp, Map.of("REGISTRY_CACHE_POD_IP", "10.1.2.3",
        "REGISTRY_CACHE_POD_NAMESPACE", "rc-system"));
    assertEquals("10.1.2.3", c.peers().listen().host());
    assertEquals(5003, c.peers().listen().port());
    assertEquals("registry-cache-main-peers", c.peers().service());
    assertEquals("rc-system", c.peers().namespace());
    assertEquals(50, c.peers().connectTimeout().toMillis());
    assertEquals(PeerTokens.TOKEN, c.peers().tokenFile().getFileName().toString());
    spec.peers.mode = "disabled";
    assertTrue(!CacheConfigModel.of(spec, Map.of(), null, null, null).configYaml().contains("peers"));
  }

  @Test
  void theProxyIsConfigAndItsPasswordAFile() throws Exception {
    RegistryCacheSpec spec = new RegistryCacheSpec();
    spec.upstreamProxy = new dev.registrycache.api.v1alpha1.UpstreamProxySpec();
    spec.upstreamProxy.httpsProxy = "http://proxy.example:3128";
    spec.upstreamProxy.noProxy = ".internal";
    CacheConfigModel m = CacheConfigModel.of(spec, Map.of(), new RegistryCredentials("squid", "proxy-pw"));
    assertTrue(!m.configYaml().contains("proxy-pw"), m.configYaml());
    CacheConfig c = load(m);
    assertEquals("http://proxy.example:3128", c.upstreamProxy().httpsProxy());
    assertEquals(".internal", c.upstreamProxy().noProxy());
    assertEquals("squid", c.upstreamProxy().username());
    assertEquals("proxy-pw", m.secretData().get(Path.of(c.upstreamProxy().passwordFile()).getFileName().toString()));
    assertEquals(CacheConfigModel.of(spec, Map.of(), new RegistryCredentials("squid", "other")).hash(), m.hash(),
        "the proxy's password is not in the hash either");
  }
}
