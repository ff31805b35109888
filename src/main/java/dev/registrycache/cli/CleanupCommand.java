package dev.registrycache.cli;

import dev.registrycache.node.ConfigChanges;
import dev.registrycache.node.NodeMirrorConfigurator;
import dev.registrycache.node.NodeMirrorPlan;
import dev.registrycache.node.RuntimeDetector;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code registry-cache cleanup}: removes every mirror entry registry-cache wrote on this node
 * and restores what was there before (uninstall hook, operator finalizer, or by hand).
 */
@Command(name = "cleanup", mixinStandardHelpOptions = true,
    description = "Remove the node's mirror entries and restore the runtime configuration that was there before.")
public final class CleanupCommand implements Callable<Integer> {
  @Mixin
  NodeOptions node = new NodeOptions();

  @Override
  public Integer call() {
    NodeMirrorPlan.Options options = node.options();
    if (node.autoDetect()) {
      // restore wherever we may have written: the detected directories and the defaults
      options = new RuntimeDetector(node.hostRoot).detect(node.containerRuntimeVersion).applyTo(options);
      if (options.containerdCertsDir() == null) {
        options = options.withContainerdCertsDir(NodeMirrorPlan.Options.defaults(node.hostRoot).containerdCertsDir());
      }
      if (options.registriesConfDir() == null) {
        options = options.withRegistriesConfDir(NodeMirrorPlan.Options.defaults(node.hostRoot).registriesConfDir());
      }
    }
    NodeMirrorPlan plan = new NodeMirrorPlan("127.0.0.1:5000", List.of(), options);
    ConfigChanges c = new NodeMirrorConfigurator(plan).restore();
    c.actions().forEach(a -> System.out.println("cleanup: " + a));
    c.warnings().forEach(w -> System.out.println("cleanup: warning: " + w));
    c.errors().forEach(e -> System.err.println("cleanup: error: " + e));
    if (c.actions().isEmpty() && c.errors().isEmpty()) {
      System.out.println("cleanup: nothing of registry-cache's found; node unchanged");
    }
    return c.succeeded() ? 0 : 1;
  }
}
