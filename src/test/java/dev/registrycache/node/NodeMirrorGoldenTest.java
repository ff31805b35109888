package dev.registrycache.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.node.NodeMirrorPlan.MirroredRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Golden-file cases: {@code src/test/resources/node/<case>/existing} is copied into a temporary
 * host root, then apply, apply again, and restore (each by a new configurator, restore with no
 * registry list at all, as a process started after a crash would) are compared byte for byte with
 * {@code expected-after-apply} and {@code expected-after-restore}.
 */
class NodeMirrorGoldenTest {
  static final String CACHE = "127.0.0.1:5000";

  @TempDir
  Path root;

  static NodeMirrorPlan.Options options(Path root) {
    return NodeMirrorPlan.Options.defaults(root);
  }

  static List<MirroredRegistry> registries(String... names) {
    return java.util.Arrays.stream(names).map(MirroredRegistry::of).toList();
  }

  /** Runs one case and returns what the first apply reported. */
  ConfigChanges runCase(String name, List<MirroredRegistry> registries, NodeMirrorPlan.Options options)
      throws IOException {
    GoldenTree.copy(GoldenTree.resource(name, "existing"), root);
    String before = GoldenTree.snapshot(root);
    String attributesBefore = GoldenTree.fileAttributes(root);

    ConfigChanges applied = new NodeMirrorConfigurator(new NodeMirrorPlan(CACHE, registries, options)).apply();
    assertEquals(List.of(), applied.errors());
    assertTrue(applied.changedAnything(), "first apply changes the node");
    GoldenTree.assertMatches(name, "expected-after-apply", root);

    String afterApply = GoldenTree.fileAttributes(root);
    ConfigChanges again = new NodeMirrorConfigurator(new NodeMirrorPlan(CACHE, registries, options)).apply();
    assertEquals(List.of(), again.actions(), "a second apply changes nothing");
    assertEquals(afterApply, GoldenTree.fileAttributes(root), "a second apply keeps modes and mtimes");

    ConfigChanges restored = new NodeMirrorConfigurator(new NodeMirrorPlan(CACHE, List.of(), options)).restore();
    assertEquals(List.of(), restored.errors());
    GoldenTree.assertMatches(name, "expected-after-restore", root);
    assertEquals(before, GoldenTree.snapshot(root), "restore puts back exactly what was there");
    assertEquals(attributesBefore, GoldenTree.fileAttributes(root), "restore keeps modes and mtimes of admin files");

    ConfigChanges restoredAgain = new NodeMirrorConfigurator(new NodeMirrorPlan(CACHE, List.of(), options)).restore();
    assertEquals(List.of(), restoredAgain.actions(), "a second restore changes nothing");
    return applied;
  }

  @Test
  void freshNode() throws IOException {
    ConfigChanges c = runCase("fresh-node", registries("docker.io", "quay.io", "registry.k8s.io"), options(root));
    assertEquals(List.of(), c.warnings());
  }

  @Test
  void existingAdminHostsKeptAsFurtherHosts() throws IOException {
    runCase("existing-hosts-kept", registries("docker.io", "quay.io", "ghcr.io"), options(root));
  }

  @Test
  void existingAdminHostsNotKept() throws IOException {
    runCase("existing-hosts-replaced", registries("docker.io", "quay.io", "ghcr.io"),
        options(root).withKeepExistingHosts(false));
  }

  @Test
  void existingCrioDropInsAreLeftAloneAndConflictsReported() throws IOException {
    ConfigChanges c = runCase("existing-crio-dropins", registries("docker.io", "quay.io", "ghcr.io"),
        options(root).withContainerdCertsDir(null));
    String warnings = String.join("\n", c.warnings());
    assertTrue(warnings.contains("10-mirrors.conf") && warnings.contains("replaces the docker.io entry"), warnings);
    assertTrue(warnings.contains("99-quay.conf also configures quay.io") && warnings.contains("its entry wins"),
        warnings);
    assertTrue(warnings.contains("registries.conf") && warnings.contains("ghcr.io"), warnings);
    assertFalse(warnings.contains("90-unrelated.conf"), warnings);
  }

  @Test
  void defaultEntryOn() throws IOException {
    runCase("default-entry", registries("docker.io"), options(root).withRegistriesConfDir(null).withDefaultEntry(true));
  }

  @Test
  void defaultEntrySwitchedOffIsRemovedAndAdminDefaultPutBack() throws IOException {
    GoldenTree.copy(GoldenTree.resource("default-entry", "existing"), root);
    String before = GoldenTree.snapshot(root);
    NodeMirrorPlan.Options on = options(root).withRegistriesConfDir(null).withDefaultEntry(true);
    new NodeMirrorConfigurator(new NodeMirrorPlan(CACHE, registries("docker.io"), on)).apply();
    GoldenTree.assertMatches("default-entry", "expected-after-apply", root);

    ConfigChanges off = new NodeMirrorConfigurator(
        new NodeMirrorPlan(CACHE, registries("docker.io"), on.withDefaultEntry(false))).apply();
    assertTrue(off.actions().stream().anyMatch(a -> a.contains("put back the previous") && a.contains("_default")),
        off.actions().toString());
    GoldenTree.assertMatches("default-entry", "expected-after-default-off", root);

    new NodeMirrorConfigurator(new NodeMirrorPlan(CACHE, List.of(), on)).restore();
    assertEquals(before, GoldenTree.snapshot(root));
  }

  @Test
  void rerunChangesNothingAndLeavesMtimes() throws IOException {
    GoldenTree.copy(GoldenTree.resource("existing-hosts-kept", "existing"), root);
    NodeMirrorPlan plan = new NodeMirrorPlan(CACHE, registries("docker.io", "quay.io", "ghcr.io"), options(root));
    assertTrue(new NodeMirrorConfigurator(plan).apply().changedAnything());
    String snapshot = GoldenTree.snapshot(root);
    String attributes = GoldenTree.fileAttributes(root);
    for (int i = 0; i < 3; i++) {
      ConfigChanges c = new NodeMirrorConfigurator(plan).apply();
      assertEquals(List.of(), c.actions());
      assertEquals(List.of(), c.errors());
    }
    assertEquals(snapshot, GoldenTree.snapshot(root));
    assertEquals(attributes, GoldenTree.fileAttributes(root));
  }

  @Test
  void restoreAfterCrashWithLeftovers() throws IOException {
    // The node as a killed process left it: our files in place, an admin file saved, a temporary
    // file from an interrupted write, and a directory noted as ours that was never created.
    GoldenTree.copy(GoldenTree.resource("crash-leftovers", "existing"), root);
    ConfigChanges c = new NodeMirrorConfigurator(new NodeMirrorPlan(CACHE, List.of(), options(root))).restore();
    assertEquals(List.of(), c.errors());
    GoldenTree.assertMatches("crash-leftovers", "expected-after-restore", root);
  }

  @Test
  void changedCacheEndpointRewritesOnlyOurFiles() throws IOException {
    GoldenTree.copy(GoldenTree.resource("existing-hosts-kept", "existing"), root);
    String before = GoldenTree.snapshot(root);
    List<MirroredRegistry> regs = registries("docker.io", "quay.io", "ghcr.io");
    new NodeMirrorConfigurator(new NodeMirrorPlan(CACHE, regs, options(root))).apply();
    ConfigChanges moved = new NodeMirrorConfigurator(new NodeMirrorPlan("127.0.0.1:5001", regs, options(root))).apply();
    assertEquals(List.of(), moved.errors());
    String after = GoldenTree.snapshot(root);
    assertTrue(after.contains("[host.\"http://127.0.0.1:5001\"]") && !after.contains("127.0.0.1:5000/"), after);
    new NodeMirrorConfigurator(new NodeMirrorPlan(CACHE, List.of(), options(root))).restore();
    assertEquals(before, GoldenTree.snapshot(root));
  }
}
