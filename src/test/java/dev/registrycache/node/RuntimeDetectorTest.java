package dev.registrycache.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.node.NodeRuntimes.Distribution;
import dev.registrycache.node.NodeRuntimes.Runtime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimeDetectorTest {
  @TempDir
  Path host;

  private void file(String hostPath, String content) throws IOException {
    Path p = host.resolve(hostPath.substring(1));
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
  }

  private void dir(String hostPath) throws IOException {
    Files.createDirectories(host.resolve(hostPath.substring(1)));
  }

  private static String problems(NodeRuntimes r) {
    return String.join("\n", r.problems());
  }

  @Test
  void containerd1WithConfigPath() throws IOException {
    file("/etc/containerd/config.toml", """
        version = 2
        [plugins."io.containerd.grpc.v1.cri".registry]
          config_path = "/etc/containerd/certs.d"
        """);
    NodeRuntimes r = new RuntimeDetector(host).detect("containerd://1.7.2");
    assertEquals(Set.of(Runtime.CONTAINERD), r.found());
    assertEquals(Optional.of(Runtime.CONTAINERD), r.reported());
    assertEquals("1.7.2", r.reportedVersion());
    assertEquals(Distribution.STANDALONE, r.distribution());
    assertEquals(Optional.of(host.resolve("etc/containerd/certs.d")), r.containerdCertsDir());
    assertEquals(List.of(), r.problems());
    assertTrue(r.configurable());
    assertTrue(String.join("\n", r.notes()).contains("ignores dial_timeout"), r.notes().toString());
  }

  @Test
  void containerdWithoutConfigPathIsAProblemThatSaysWhatToSet() throws IOException {
    file("/etc/containerd/config.toml", """
        version = 2
        [plugins."io.containerd.grpc.v1.cri".registry]
          config_path = ""
        """);
    NodeRuntimes r = new RuntimeDetector(host).detect();
    assertEquals(Optional.empty(), r.containerdCertsDir());
    assertFalse(r.configurable());
    assertTrue(problems(r).contains("config_path is not set in [plugins.\"io.containerd.grpc.v1.cri\".registry]"),
        problems(r));
  }

  @Test
  void containerd2ConfigVersion3UsesTheImagesPlugin() throws IOException {
    file("/etc/containerd/config.toml", """
        version = 3
        [plugins.'io.containerd.cri.v1.images'.registry]
          config_path = '/etc/containerd/certs.d'
        """);
    NodeRuntimes r = new RuntimeDetector(host).detect("containerd://2.0.4");
    assertEquals(Optional.of(host.resolve("etc/containerd/certs.d")), r.containerdCertsDir());
    assertEquals(List.of(), r.problems());
  }

  @Test
  void containerd2WithOldPluginNameOnlyIsNotRead() throws IOException {
    file("/etc/containerd/config.toml", """
        version = 3
        [plugins."io.containerd.grpc.v1.cri".registry]
          config_path = "/etc/containerd/certs.d"
        """);
    NodeRuntimes r = new RuntimeDetector(host).detect();
    assertTrue(problems(r).contains("io.containerd.cri.v1.images"), problems(r));
  }

  @Test
  void missingVersionLineMeansVersion1() throws IOException {
    file("/etc/containerd/config.toml", """
        [plugins."io.containerd.grpc.v1.cri".registry]
          config_path = "/etc/containerd/certs.d"
        """);
    NodeRuntimes r = new RuntimeDetector(host).detect();
    assertTrue(problems(r).contains("no 'version = 2' line"), problems(r));
  }

  @Test
  void mirrorsTogetherWithConfigPathIsReported() throws IOException {
    file("/etc/containerd/config.toml", """
        version = 2
        [plugins."io.containerd.grpc.v1.cri".registry]
          config_path = "/etc/containerd/certs.d"
        [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
          endpoint = ["https://mirror.example"]
        """);
    NodeRuntimes r = new RuntimeDetector(host).detect();
    assertTrue(problems(r).contains("refuses this combination"), problems(r));
    assertEquals(Optional.empty(), r.containerdCertsDir());
  }

  @Test
  void noConfigFileMeansCertsDirIsNotRead() throws IOException {
    dir("/etc/containerd");
    NodeRuntimes r = new RuntimeDetector(host).detect();
    assertEquals(Set.of(Runtime.CONTAINERD), r.found());
    assertTrue(problems(r).contains("/etc/containerd/config.toml does not exist"), problems(r));
  }

  @Test
  void configPathInAnImportedFileIsFound() throws IOException {
    file("/etc/containerd/config.toml", """
        version = 2
        imports = ["/etc/containerd/conf.d/*.toml"]
        """);
    file("/etc/containerd/conf.d/10-registry.toml", """
        version = 2
        [plugins."io.containerd.grpc.v1.cri".registry]
          config_path = "/etc/containerd/certs.d"
        """);
    NodeRuntimes r = new RuntimeDetector(host).detect();
    assertEquals(Optional.of(host.resolve("etc/containerd/certs.d")), r.containerdCertsDir());
  }

  @Test
  void containerd21TransferServiceWithSeveralDirectoriesIsAProblem() throws IOException {
    String config = """
        version = 3
        [plugins.'io.containerd.cri.v1.images']
          use_local_image_pull = %s
        [plugins.'io.containerd.cri.v1.images'.registry]
          config_path = '/etc/containerd/certs.d:/etc/docker/certs.d'
        """;
    file("/etc/containerd/config.toml", config.formatted("false"));
    NodeRuntimes transfer = new RuntimeDetector(host).detect("containerd://2.1.4");
    assertTrue(problems(transfer).contains("transfer service"), problems(transfer));

    file("/etc/containerd/config.toml", config.formatted("true"));
    NodeRuntimes local = new RuntimeDetector(host).detect("containerd://2.1.4");
    assertEquals(List.of(), local.problems());
    assertEquals(Optional.of(host.resolve("etc/containerd/certs.d")), local.containerdCertsDir());
    assertTrue(String.join("\n", local.notes()).contains("writes into the first"), local.notes().toString());
  }

  @Test
  void k3sUsesItsOwnCertsDirAndExplainsRegistriesYaml() throws IOException {
    file("/var/lib/rancher/k3s/agent/etc/containerd/config.toml", """
        version = 2
        [plugins."io.containerd.grpc.v1.cri".registry]
          config_path = "/var/lib/rancher/k3s/agent/etc/containerd/certs.d"
        """);
    file("/etc/rancher/k3s/registries.yaml", "mirrors: {}\n");
    NodeRuntimes r = new RuntimeDetector(host).detect("containerd://1.7.11-k3s2");
    assertEquals(Distribution.K3S, r.distribution());
    assertEquals(Optional.of(host.resolve("var/lib/rancher/k3s/agent/etc/containerd/certs.d")), r.containerdCertsDir());
    String notes = String.join("\n", r.notes());
    assertTrue(notes.contains("registries.yaml") && notes.contains("k3s"), notes);
    assertEquals(List.of(), r.problems());
  }

  @Test
  void rke2IsRecognised() throws IOException {
    file("/var/lib/rancher/rke2/agent/etc/containerd/config.toml", """
        version = 2
        [plugins."io.containerd.grpc.v1.cri".registry]
          config_path = "/var/lib/rancher/rke2/agent/etc/containerd/certs.d"
        """);
    NodeRuntimes r = new RuntimeDetector(host).detect();
    assertEquals(Distribution.RKE2, r.distribution());
    assertEquals(Optional.of(host.resolve("var/lib/rancher/rke2/agent/etc/containerd/certs.d")), r.containerdCertsDir());
  }

  @Test
  void crioWithContainersDirectory() throws IOException {
    file("/etc/crio/crio.conf", "[crio.image]\npause_image = \"registry.k8s.io/pause:3.9\"\n");
    file("/etc/crio/crio.conf.d/10-reload.conf", "[crio.image]\nauto_reload_registries = true\n");
    file("/etc/containers/registries.conf", "unqualified-search-registries = []\n");
    NodeRuntimes r = new RuntimeDetector(host).detect("cri-o://1.31.0");
    assertEquals(Set.of(Runtime.CRIO), r.found());
    assertEquals(Optional.of(host.resolve("etc/containers/registries.conf.d")), r.registriesConfDir());
    assertEquals(Optional.empty(), r.containerdCertsDir());
    assertTrue(r.configurable());
    assertTrue(String.join("\n", r.notes()).contains("auto_reload_registries = true"), r.notes().toString());
  }

  @Test
  void crioWithoutAutoReloadMentionsSighup() throws IOException {
    dir("/etc/crio");
    dir("/etc/containers");
    NodeRuntimes r = new RuntimeDetector(host).detect();
    assertTrue(String.join("\n", r.notes()).contains("SIGHUP"), r.notes().toString());
  }

  @Test
  void containerdProblemsDoNotBlockACrioNode() throws IOException {
    file("/etc/containerd/config.toml", "version = 2\n");
    dir("/etc/crio");
    dir("/etc/containers");
    NodeRuntimes r = new RuntimeDetector(host).detect("cri-o://1.28.1");
    assertEquals(Set.of(Runtime.CONTAINERD, Runtime.CRIO), r.found());
    assertEquals(List.of(), r.problems());
    assertTrue(String.join("\n", r.notes()).contains("config_path is not set"), r.notes().toString());
  }

  @Test
  void dockerNodeIsExplainedNotConfigured() throws IOException {
    file("/etc/docker/daemon.json", "{}\n");
    NodeRuntimes r = new RuntimeDetector(host).detect("docker://24.0.7");
    assertEquals(Set.of(Runtime.DOCKER), r.found());
    assertTrue(problems(r).contains("daemon.json"), problems(r));
    assertFalse(r.configurable());
  }

  @Test
  void emptyHostRootSaysTheMountIsProbablyMissing() {
    NodeRuntimes r = new RuntimeDetector(host).detect();
    assertTrue(r.found().isEmpty());
    assertTrue(problems(r).contains("mounted at " + host), problems(r));
    assertFalse(r.configurable());
  }

  @Test
  void unknownRuntimeIsAProblemNotAnException() {
    NodeRuntimes r = new RuntimeDetector(host).detect("frakti://1.0");
    assertTrue(problems(r).contains("frakti://1.0"), problems(r));
  }

  @Test
  void unreadableGarbageConfigDoesNotThrow() throws IOException {
    file("/etc/containerd/config.toml", "version = 2\n[plugins.\"unterminated\n = = =\n[[[\n\"\"\"\n");
    NodeRuntimes r = new RuntimeDetector(host).detect();
    assertFalse(r.problems().isEmpty());
  }

  @Test
  void configPathInInlineTablesAndDottedKeysIsFound() throws IOException {
    for (String config : List.of("""
        version = 2
        [plugins."io.containerd.grpc.v1.cri"]
          registry = { config_path = "/etc/containerd/certs.d" }
        """, """
        version = 2
        plugins."io.containerd.grpc.v1.cri".registry.config_path = "/etc/containerd/certs.d"
        """, """
        version = 3
        plugins = { "io.containerd.cri.v1.images" = { registry = { config_path = "/etc/containerd/certs.d" } } }
        """, """
        version = 3
        [plugins]
          "io.containerd.cri.v1.images".registry.config_path = '/etc/containerd/certs.d'
        """)) {
      file("/etc/containerd/config.toml", config);
      NodeRuntimes r = new RuntimeDetector(host).detect();
      assertEquals(List.of(), r.problems(), config);
      assertEquals(Optional.of(host.resolve("etc/containerd/certs.d")), r.containerdCertsDir(), config);
    }
  }

  @Test
  void mirrorsGivenAsAnInlineTableAreSeen() throws IOException {
    file("/etc/containerd/config.toml", """
        version = 2
        [plugins."io.containerd.grpc.v1.cri".registry]
          config_path = "/etc/containerd/certs.d"
          mirrors = { "docker.io" = { endpoint = ["https://mirror.example"] } }
        """);
    NodeRuntimes r = new RuntimeDetector(host).detect();
    assertTrue(problems(r).contains("refuses this combination"), problems(r));
  }

  @Test
  void invalidTomlIsAProblemNamingTheFileAndLine() throws IOException {
    file("/etc/containerd/config.toml", """
        version = 2
        [plugins."io.containerd.grpc.v1.cri".registry]
          config_path = "/etc/containerd/certs.d"
        [plugins."io.containerd.grpc.v1.cri".registry]
          config_path = "/etc/containerd/certs.d"
        """);
    NodeRuntimes r = new RuntimeDetector(host).detect("containerd://1.7.2");
    assertEquals(Optional.empty(), r.containerdCertsDir());
    assertTrue(problems(r).contains("/etc/containerd/config.toml is not valid TOML: ")
        && problems(r).contains("(line 4, column"), problems(r));
  }

  @Test
  void anImportedPluginSectionReplacesTheWholeSectionBeforeContainerd2() throws IOException {
    file("/etc/containerd/config.toml", """
        version = 2
        imports = ["conf.d/*.toml"]
        [plugins."io.containerd.grpc.v1.cri".registry]
          config_path = "/etc/containerd/certs.d"
        """);
    file("/etc/containerd/conf.d/10-sandbox.toml", """
        version = 2
        [plugins."io.containerd.grpc.v1.cri"]
          sandbox_image = "registry.k8s.io/pause:3.10"
        """);
    NodeRuntimes old = new RuntimeDetector(host).detect("containerd://1.7.24");
    assertEquals(Optional.empty(), old.containerdCertsDir());
    assertTrue(problems(old).contains("replaces the whole section"), problems(old));

    NodeRuntimes two = new RuntimeDetector(host).detect("containerd://2.0.4");
    assertEquals(Optional.of(host.resolve("etc/containerd/certs.d")), two.containerdCertsDir(), problems(two));
  }

  @Test
  void importedFilesAreReadRelativeToTheImportingFileAndTransitively() throws IOException {
    file("/etc/containerd/config.toml", "version = 2\nimports = [\"conf.d/a.toml\"]\n");
    file("/etc/containerd/conf.d/a.toml", "version = 2\nimports = [\"/etc/containerd/more/b.toml\"]\n");
    file("/etc/containerd/more/b.toml", """
        version = 2
        [plugins."io.containerd.grpc.v1.cri".registry]
          config_path = "/etc/containerd/certs.d"
        """);
    NodeRuntimes r = new RuntimeDetector(host).detect();
    assertEquals(Optional.of(host.resolve("etc/containerd/certs.d")), r.containerdCertsDir(), problems(r));
  }

  @Test
  void crioAutoReloadAsAnInlineTable() throws IOException {
    file("/etc/crio/crio.conf", "[crio]\nimage = { auto_reload_registries = true }\n");
    dir("/etc/containers");
    NodeRuntimes r = new RuntimeDetector(host).detect("cri-o://1.31.0");
    assertTrue(String.join("\n", r.notes()).contains("auto_reload_registries = true"), r.notes().toString());
  }

  @Test
  void appliesDetectedDirectoriesToOptions() throws IOException {
    file("/etc/containerd/config.toml", """
        version = 2
        [plugins."io.containerd.grpc.v1.cri".registry]
          config_path = "/etc/containerd/certs.d"
        """);
    NodeMirrorPlan.Options o = new RuntimeDetector(host).detect().applyTo(NodeMirrorPlan.Options.defaults(host));
    assertEquals(host.resolve("etc/containerd/certs.d"), o.containerdCertsDir());
    assertEquals(null, o.registriesConfDir());
  }
}
