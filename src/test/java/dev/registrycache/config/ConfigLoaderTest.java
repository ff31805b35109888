package dev.registrycache.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir
  Path dir;

  @Test
  void embeddedDefaultsMirrorTheWellKnownRegistries() {
    CacheConfig c = ConfigLoader.load(null, ConfigLoader.Overrides.none());
    assertEquals(new HostPort("127.0.0.1", 5000), c.listen());
    assertEquals(new HostPort("127.0.0.1", 5001), c.adminListen());
    assertEquals(List.of("docker.io", "quay.io", "registry.k8s.io", "k8s.gcr.io", "ghcr.io", "gcr.io",
        "mcr.microsoft.com", "registry.gitlab.com"), c.registries().stream().map(RegistryConfig::name).toList());
    assertEquals("https://registry-1.docker.io", c.registry("docker.io").url());
    assertEquals("docker.io", c.defaultRegistry());
    assertEquals(Duration.ofMinutes(5), c.tagTtl());
    assertEquals(20L << 30, c.maxSizeBytes());
    assertTrue(c.accessLog());
  }

  @Test
  void fileLayersOverDefaultsAndItsRegistriesReplaceTheList() throws IOException {
    Path f = dir.resolve("c.yaml");
    Files.writeString(f, """
        listen: 0.0.0.0:6000
        storage:
          maxSize: 512MiB
        tags:
          ttl: 30s
        registries:
          - name: docker.io
            url: http://127.0.0.1:15000
          - name: private.example.com
            username: bob
            passwordFile: /run/secret/pw
        """);
    CacheConfig c = ConfigLoader.load(f, ConfigLoader.Overrides.none());
    assertEquals(6000, c.listen().port());
    assertEquals(512L << 20, c.maxSizeBytes());
    assertEquals(1L << 30, c.minFreeBytes()); // from the defaults
    assertEquals(Duration.ofSeconds(30), c.tagTtl());
    assertEquals(2, c.registries().size());
    assertEquals("https://private.example.com", c.registry("private.example.com").url());
    assertEquals("bob", c.registry("private.example.com").username());
    assertNull(c.registry("quay.io"));
  }

  @Test
  void overridesWin() {
    CacheConfig c = ConfigLoader.load(null, new ConfigLoader.Overrides("127.0.0.1:7000", null, "/tmp/x",
        "1Gi", false, List.of("docker.io=http://127.0.0.1:15000", "new.example=https://mirror.example")));
    assertEquals(7000, c.listen().port());
    assertEquals(Path.of("/tmp/x"), c.storagePath());
    assertEquals(1L << 30, c.maxSizeBytes());
    assertFalse(c.accessLog());
    assertEquals("http://127.0.0.1:15000", c.registry("docker.io").url());
    assertEquals("https://mirror.example", c.registry("new.example").url());
  }

  @Test
  void clientLimitsFromDefaultsFileAndFlags() throws IOException {
    assertEquals(new ClientLimits(Duration.ofSeconds(60), Duration.ofMinutes(2), 1024),
        ConfigLoader.load(null, ConfigLoader.Overrides.none()).clients());
    Path f = dir.resolve("clients.yaml");
    Files.writeString(f, "clients:\n  headerTimeout: 10s\n  maxConnections: 50\n");
    assertEquals(new ClientLimits(Duration.ofSeconds(10), Duration.ofMinutes(2), 50),
        ConfigLoader.load(f, ConfigLoader.Overrides.none()).clients());
    CacheConfig flags = ConfigLoader.load(f, new ConfigLoader.Overrides(null, null, null, null, null, List.of(),
        "5s", 7));
    assertEquals(new ClientLimits(Duration.ofSeconds(5), Duration.ofMinutes(2), 7), flags.clients());
    Files.writeString(f, "clients:\n  maxConnections: 0\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConfigLoader.load(f, ConfigLoader.Overrides.none()));
    assertTrue(e.getMessage().contains("clients.maxConnections"), e.getMessage());
  }

  @Test
  void minimumDownloadSpeed() throws IOException {
    assertEquals(new MinSpeed(10 * 1024, Duration.ofSeconds(30)), ConfigLoader.load(null, ConfigLoader.Overrides.none()).minSpeed());
    Path f = dir.resolve("speed.yaml");
    Files.writeString(f, "timeouts:\n  minSpeed: 1MiB\n  minSpeedTime: 10s\n");
    MinSpeed m = ConfigLoader.load(f, ConfigLoader.Overrides.none()).minSpeed();
    assertEquals(10L << 20, m.bytesPerWindow());
    Files.writeString(f, "timeouts:\n  minSpeed: 0\n");
    assertFalse(ConfigLoader.load(f, ConfigLoader.Overrides.none()).minSpeed().enabled());
  }

  @Test
  void backgroundCheckOfStoredBlobs() throws IOException {
    assertEquals(new StorageScan(64L << 20, Duration.ofDays(7)), ConfigLoader.load(null, ConfigLoader.Overrides.none()).scan());
    Path f = dir.resolve("scan.yaml");
    Files.writeString(f, "storage:\n  verifyRate: 0\n  verifyInterval: 0s\n");
    StorageScan s = ConfigLoader.load(f, ConfigLoader.Overrides.none()).scan();
    assertFalse(s.enabled());
    assertEquals(Duration.ZERO, s.interval());
  }

  @Test
  void clearErrors() throws IOException {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, "lisen: 1.2.3.4:5\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConfigLoader.load(f, ConfigLoader.Overrides.none()));
    assertTrue(e.getMessage().contains("lisen"), e.getMessage());
    Files.writeString(f, "registries:\n  - name: a.io\n    url: ftp://a.io\n");
    e = assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(f, ConfigLoader.Overrides.none()));
    assertTrue(e.getMessage().contains("http(s)"), e.getMessage());
    Files.writeString(f, "registries:\n  - name: a.io\n");
    e = assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(f, ConfigLoader.Overrides.none()));
    assertTrue(e.getMessage().contains("defaultRegistry"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(null,
        new ConfigLoader.Overrides(null, null, null, "lots", null, List.of())));
    assertTrue(e.getMessage().startsWith("storage.maxSize: invalid size lots: "), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(null,
        new ConfigLoader.Overrides(null, null, null, null, null, List.of("noequals"))));
  }

  @Test
  void durations() {
    assertEquals(Duration.ofMillis(500), Sizes.parseDuration("500ms"));
    assertEquals(Duration.ofHours(2), Sizes.parseDuration("2h"));
    assertThrows(IllegalArgumentException.class, () -> Sizes.parseDuration("5"));
  }

  @Test
  void hostPort() {
    assertEquals(new HostPort("::1", 5000), HostPort.parse("[::1]:5000"));
    assertEquals("[::1]:5000", HostPort.parse("[::1]:5000").toString());
    assertThrows(IllegalArgumentException.class, () -> HostPort.parse("nohost"));
    assertThrows(IllegalArgumentException.class, () -> HostPort.parse("a:70000"));
  }
}
