package dev.registrycache.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What stands between written entries and a runtime that uses them, said so a person can act on it. */
class NodeAccessCheckTest {
  @TempDir
  Path host;

  private NodeMirrorPlan.Options crio(boolean reload) {
    return NodeMirrorPlan.Options.defaults(host).withContainerdCertsDir(null).withReloadCrio(reload);
  }

  @Test
  void aCrioThatDoesNotReloadByItselfNeedsTheReload() throws Exception {
    Files.createDirectories(host.resolve("etc/crio"));
    Files.writeString(host.resolve("etc/crio/crio.conf"), "[crio.image]\npause_image = \"x\"\n");
    List<String> off = NodeAccessCheck.problems(crio(false), host, () -> true, p -> true);
    assertEquals(1, off.size(), off.toString());
    assertTrue(off.get(0).contains("spec.runtimes.crio.reload: true"), off.get(0));

    List<String> invisible = NodeAccessCheck.problems(crio(true), host, () -> false, p -> true);
    assertTrue(invisible.get(0).contains("hostPID"), invisible.toString());
    assertEquals(List.of(), NodeAccessCheck.problems(crio(true), host, () -> true, p -> true), "reload on, crio seen");

    Files.writeString(host.resolve("etc/crio/crio.conf"), "[crio.image]\nauto_reload_registries = true\n");
    assertEquals(List.of(), NodeAccessCheck.problems(crio(false), host, () -> false, p -> true),
        "a CRI-O that reloads by itself needs nothing");
  }

  @Test
  void podmanAloneNeedsNoReload() {
    assertEquals(List.of(), NodeAccessCheck.problems(crio(false), host, () -> false, p -> true),
        "no /etc/crio: only the containers tools, which read the files at every command");
  }

  @Test
  void aMirrorDirectoryTheCacheMayNotWriteIsNamedAsTheDirectoryToConfigure() {
    NodeMirrorPlan.Options o = NodeMirrorPlan.Options.defaults(host).withRegistriesConfDir(null)
        .withContainerdCertsDir(host.resolve("etc/containerd/registry-hosts"));
    List<String> p = NodeAccessCheck.problems(o, host, () -> true, dir -> !dir.endsWith("registry-hosts"));
    assertEquals(1, p.size(), p.toString());
    assertTrue(p.get(0).contains("spec.runtimes.containerd.configDir: /etc/containerd/registry-hosts"), p.get(0));
  }
}
