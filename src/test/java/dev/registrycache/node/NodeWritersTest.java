package dev.registrycache.node;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.node.NodeMirrorPlan.MirroredRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Behaviour of the writers that the golden trees do not show. */
class NodeWritersTest {
  @TempDir
  Path root;

  private NodeMirrorPlan plan(NodeMirrorPlan.Options o, MirroredRegistry... regs) {
    return new NodeMirrorPlan("127.0.0.1:5000", List.of(regs), o);
  }

  private NodeMirrorPlan.Options containerdOnly() throws IOException {
    Files.createDirectories(root.resolve("etc/containerd"));
    return NodeMirrorPlan.Options.defaults(root).withRegistriesConfDir(null);
  }

  @Test
  void backupKeepsModeAndMtimeAndRestoreBringsThemBack() throws IOException {
    NodeMirrorPlan.Options o = containerdOnly();
    Path admin = root.resolve("etc/containerd/certs.d/docker.io/hosts.toml");
    Files.createDirectories(admin.getParent());
    Files.writeString(admin, "server = \"https://registry-1.docker.io\"\n");
    Files.setPosixFilePermissions(admin, PosixFilePermissions.fromString("rw-------"));
    FileTime old = FileTime.fromMillis(1_600_000_000_000L);
    Files.setLastModifiedTime(admin, old);

    new NodeMirrorConfigurator(plan(o, MirroredRegistry.of("docker.io"))).apply();
    assertTrue(ManagedFiles.isManaged(admin));
    Path backup = root.resolve("etc/containerd/certs.d/_backup/registry-cache/hosts/docker.io/hosts.toml");
    assertEquals(old, Files.getLastModifiedTime(backup));

    new NodeMirrorConfigurator(plan(o)).restore();
    assertEquals("server = \"https://registry-1.docker.io\"\n", Files.readString(admin));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(admin)));
    assertEquals(old, Files.getLastModifiedTime(admin));
    assertFalse(Files.exists(root.resolve("etc/containerd/certs.d/_backup")));
  }

  @Test
  void adminFileWrittenOverOursWinsOnRestore() throws IOException {
    NodeMirrorPlan.Options o = containerdOnly();
    Path admin = root.resolve("etc/containerd/certs.d/quay.io/hosts.toml");
    Files.createDirectories(admin.getParent());
    Files.writeString(admin, "# first\n");
    new NodeMirrorConfigurator(plan(o, MirroredRegistry.of("quay.io"))).apply();
    Files.writeString(admin, "# the admin's newer file\n");

    ConfigChanges c = new NodeMirrorConfigurator(plan(o)).restore();
    assertEquals("# the admin's newer file\n", Files.readString(admin));
    assertTrue(String.join("\n", c.warnings()).contains("replaced by someone else"), c.warnings().toString());
    assertFalse(Files.exists(root.resolve("etc/containerd/certs.d/_backup")));
  }

  @Test
  void adminFileWrittenOverOursIsBackedUpAgainOnTheNextApply() throws IOException {
    NodeMirrorPlan.Options o = containerdOnly();
    Path file = root.resolve("etc/containerd/certs.d/quay.io/hosts.toml");
    new NodeMirrorConfigurator(plan(o, MirroredRegistry.of("quay.io"))).apply();
    Files.writeString(file, "# written by config management\n");
    new NodeMirrorConfigurator(plan(o, MirroredRegistry.of("quay.io"))).apply();
    assertTrue(ManagedFiles.isManaged(file));
    new NodeMirrorConfigurator(plan(o)).restore();
    assertEquals("# written by config management\n", Files.readString(file));
    assertTrue(Files.isDirectory(file.getParent()), "the directory now holds an admin file and stays");
  }

  @Test
  void invalidAdminHostsTomlStopsThatRegistryWithAnErrorNamingTheFileAndWritesNothingForIt() throws IOException {
    NodeMirrorPlan.Options o = containerdOnly();
    Path admin = root.resolve("etc/containerd/certs.d/quay.io/hosts.toml");
    Files.createDirectories(admin.getParent());
    String broken = "server = \"https://quay.io\"\n[host.\"https://m\"]\n[host.\"https://m\"]\n";
    Files.writeString(admin, broken);

    ConfigChanges c = new NodeMirrorConfigurator(plan(o, MirroredRegistry.of("quay.io"),
        MirroredRegistry.of("docker.io"))).apply();
    assertFalse(c.succeeded());
    String errors = String.join("\n", c.errors());
    assertTrue(errors.contains(admin + " is not valid TOML") && errors.contains("line 3"), errors);
    assertEquals(broken, Files.readString(admin));
    assertEquals(List.of("hosts.toml"), names(admin.getParent()));
    assertFalse(Files.exists(root.resolve("etc/containerd/certs.d/_backup/registry-cache/hosts/quay.io")));
    assertTrue(ManagedFiles.isManaged(root.resolve("etc/containerd/certs.d/docker.io/hosts.toml")),
        "other registries are still configured");

    ConfigChanges replaced = new NodeMirrorConfigurator(plan(o.withKeepExistingHosts(false),
        MirroredRegistry.of("quay.io"))).apply();
    assertEquals(List.of(), replaced.errors(), "without keeping its hosts the file's content does not matter");
    assertTrue(ManagedFiles.isManaged(admin));
    new NodeMirrorConfigurator(plan(o)).restore();
    assertEquals(broken, Files.readString(admin));
  }

  @Test
  void adminHostsAsInlineTablesAreKeptBehindTheCache() throws IOException {
    NodeMirrorPlan.Options o = containerdOnly();
    Path admin = root.resolve("etc/containerd/certs.d/quay.io/hosts.toml");
    Files.createDirectories(admin.getParent());
    Files.writeString(admin, """
        server = "https://quay.io"
        host = { "https://m.example" = { capabilities = ["pull"], header = { x-team = ["a"] } } }
        """);
    ConfigChanges c = new NodeMirrorConfigurator(plan(o, MirroredRegistry.of("quay.io"))).apply();
    assertEquals(List.of(), c.errors());
    var parsed = Toml.read(admin);
    List<String> hosts = new ArrayList<>();
    parsed.get("host").fieldNames().forEachRemaining(hosts::add);
    assertEquals(List.of("http://127.0.0.1:5000", "https://m.example"), hosts);
    assertEquals("a", Toml.at(parsed, "host", "https://m.example", "header", "x-team").get(0).asText());
    assertEquals("https://quay.io", parsed.get("server").asText());
  }

  @Test
  void contentThatDoesNotParseIsNeverWritten() throws IOException {
    Path target = root.resolve("hosts.toml");
    Files.writeString(target, "# before\n");
    Toml.InvalidTomlException e = assertThrows(Toml.InvalidTomlException.class,
        () -> ManagedFiles.writeTomlIfChanged(target, "a = 1\na = 2\n", parsed -> { }));
    assertTrue(e.getMessage().contains(target.toString()) && e.getMessage().contains("nothing was written"),
        e.getMessage());
    assertThrows(IllegalStateException.class, () -> ManagedFiles.writeTomlIfChanged(target, "a = 1\n", parsed -> {
      throw new IllegalStateException("rejected");
    }));
    assertEquals("# before\n", Files.readString(target));
    assertEquals(List.of("hosts.toml"), names(root));
  }

  @Test
  void anInvalidForeignDropInIsReported() throws IOException {
    Path d = root.resolve("etc/containers/registries.conf.d");
    Files.createDirectories(d);
    Files.writeString(d.resolve("60-broken.conf"), "[[registry]]\nlocation = \"docker.io\"\nlocation = \"x\"\n");
    NodeMirrorPlan.Options o = NodeMirrorPlan.Options.defaults(root).withContainerdCertsDir(null);
    ConfigChanges c = new NodeMirrorConfigurator(plan(o, MirroredRegistry.of("docker.io"))).apply();
    String warnings = String.join("\n", c.warnings());
    assertTrue(warnings.contains(d.resolve("60-broken.conf") + " is not valid TOML"), warnings);
    assertTrue(ManagedFiles.isManaged(d.resolve(CrioRegistriesWriter.FILE_NAME)));
  }

  private static List<String> names(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void upstreamOverrideIsUsedByBothRuntimes() throws IOException {
    Files.createDirectories(root.resolve("etc/containerd"));
    Files.createDirectories(root.resolve("etc/containers"));
    NodeMirrorPlan p = plan(NodeMirrorPlan.Options.defaults(root),
        new MirroredRegistry("docker.io", "http://127.0.0.1:15099"));
    new NodeMirrorConfigurator(p).apply();
    String hosts = Files.readString(root.resolve("etc/containerd/certs.d/docker.io/hosts.toml"));
    assertTrue(hosts.contains("server = \"http://127.0.0.1:15099\"\n"), hosts);
    String dropIn = Files.readString(root.resolve("etc/containers/registries.conf.d/50-registry-cache.conf"));
    assertTrue(dropIn.contains("location = \"127.0.0.1:15099\"\ninsecure = true\n"), dropIn);
    assertTrue(dropIn.contains("location = \"127.0.0.1:5000/docker.io\"\ninsecure = true\n"), dropIn);
  }

  @Test
  void foreignDropInWithOurNameIsNeverOverwritten() throws IOException {
    Path d = root.resolve("etc/containers/registries.conf.d");
    Files.createDirectories(d);
    Files.writeString(d.resolve(CrioRegistriesWriter.FILE_NAME), "# not ours\n");
    NodeMirrorPlan.Options o = NodeMirrorPlan.Options.defaults(root).withContainerdCertsDir(null);
    ConfigChanges applied = new NodeMirrorConfigurator(plan(o, MirroredRegistry.of("docker.io"))).apply();
    ConfigChanges restored = new NodeMirrorConfigurator(plan(o)).restore();
    assertEquals("# not ours\n", Files.readString(d.resolve(CrioRegistriesWriter.FILE_NAME)));
    assertEquals(List.of(), applied.actions());
    assertFalse(applied.warnings().isEmpty());
    assertFalse(restored.warnings().isEmpty());
  }

  @Test
  void missingParentDirectoryIsAnErrorNotAnException() {
    NodeMirrorPlan.Options o = NodeMirrorPlan.Options.defaults(root);
    ConfigChanges c = new NodeMirrorConfigurator(plan(o, MirroredRegistry.of("docker.io"))).apply();
    assertEquals(2, c.errors().size(), c.errors().toString());
    assertFalse(c.succeeded());
    assertFalse(Files.exists(root.resolve("etc")));
  }

  @Test
  void crioReloadOnlyWhenAskedAndOnlyWhenTheDropInChanged() throws IOException {
    Files.createDirectories(root.resolve("etc/containers"));
    List<Long> signalled = new ArrayList<>();
    Path proc = root.resolve("proc");
    Files.createDirectories(proc.resolve("4242"));
    Files.writeString(proc.resolve("4242/comm"), "crio\n");
    CrioReloader reloader = new CrioReloader(proc, signalled::add);
    NodeMirrorPlan.Options o = NodeMirrorPlan.Options.defaults(root).withContainerdCertsDir(null);

    new NodeMirrorConfigurator(plan(o, MirroredRegistry.of("docker.io")), reloader).apply();
    assertEquals(List.of(), signalled, "reload is off by default");

    NodeMirrorPlan.Options reload = o.withReloadCrio(true);
    new NodeMirrorConfigurator(plan(reload, MirroredRegistry.of("quay.io")), reloader).apply();
    assertEquals(List.of(4242L), signalled);
    new NodeMirrorConfigurator(plan(reload, MirroredRegistry.of("quay.io")), reloader).apply();
    assertEquals(List.of(4242L), signalled, "nothing changed, no reload");
    new NodeMirrorConfigurator(plan(reload), reloader).restore();
    assertEquals(List.of(4242L, 4242L), signalled);
  }

  @Test
  void planRejectsNonsense() {
    assertThrows(IllegalArgumentException.class, () -> MirroredRegistry.of("docker.io/library"));
    assertThrows(IllegalArgumentException.class, () -> MirroredRegistry.of("_default"));
    assertThrows(IllegalArgumentException.class, () -> MirroredRegistry.of(".."));
    assertThrows(IllegalArgumentException.class, () -> new MirroredRegistry("docker.io", "ftp://x"));
    assertThrows(IllegalArgumentException.class,
        () -> new NodeMirrorPlan("127.0.0.1", List.of(), NodeMirrorPlan.Options.defaults(root)));
    assertThrows(IllegalArgumentException.class, () -> new NodeMirrorPlan("127.0.0.1:5000",
        List.of(MirroredRegistry.of("quay.io"), MirroredRegistry.of("quay.io")), NodeMirrorPlan.Options.defaults(root)));
    assertThrows(IllegalArgumentException.class, () -> NodeMirrorPlan.Options.defaults(root).withDialTimeout("fast"));
    assertEquals("https://registry-1.docker.io", MirroredRegistry.of("docker.io").containerdServer());
    assertEquals("https://registry.example.com:5000", MirroredRegistry.of("registry.example.com:5000").containerdServer());
  }

  /**
   * A real process applies the configuration and is killed with SIGKILL while it runs; a new
   * configurator in this process then restores the node from what is on disk.
   */
  @Test
  void restoreInANewProcessAfterSigkill() throws Exception {
    Files.createDirectories(root.resolve("etc/containerd/certs.d/docker.io"));
    Files.writeString(root.resolve("etc/containerd/certs.d/docker.io/hosts.toml"), "server = \"https://mirror.example\"\n");
    Files.createDirectories(root.resolve("etc/containers"));
    String before = GoldenTree.snapshot(root);

    String java = ProcessHandle.current().info().command().orElse("java");
    Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        WriteNodeConfigForE2E.class.getName(), "apply", "--cache", "127.0.0.1:5000",
        "--certs-dir", root.resolve("etc/containerd/certs.d").toString(),
        "--registries-dir", root.resolve("etc/containers/registries.conf.d").toString(),
        "--registry", "docker.io", "--registry", "quay.io", "--default", "--hold")
        .redirectErrorStream(true).start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), UTF_8))) {
      String line;
      StringBuilder seen = new StringBuilder();
      while ((line = out.readLine()) != null && !line.equals("holding")) {
        seen.append(line).append('\n');
      }
      assertEquals("holding", line, "child output: " + seen);
      child.destroyForcibly();
      assertTrue(child.waitFor(10, TimeUnit.SECONDS));
    } finally {
      child.destroyForcibly();
    }
    assertEquals(137, child.exitValue(), "killed by SIGKILL");
    assertTrue(ManagedFiles.isManaged(root.resolve("etc/containerd/certs.d/docker.io/hosts.toml")));

    NodeMirrorPlan.Options o = NodeMirrorPlan.Options.defaults(root);
    ConfigChanges c = new NodeMirrorConfigurator(new NodeMirrorPlan("127.0.0.1:5000", List.of(), o)).restore();
    assertEquals(List.of(), c.errors());
    assertEquals(before, GoldenTree.snapshot(root));
  }
}
