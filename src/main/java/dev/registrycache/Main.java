package dev.registrycache;

import dev.registrycache.cli.CacheCommand;
import dev.registrycache.cli.CleanupCommand;
import dev.registrycache.cli.OperatorCommand;
import dev.registrycache.cli.UninstallCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The one binary: {@code cache} runs the node-local pull-through cache (and, on a node, keeps the
 * runtime's mirror entries); {@code cleanup} restores a node; {@code operator} reconciles
 * RegistryCaches into cache DaemonSets; {@code uninstall} deletes RegistryCaches and waits for
 * their nodes to be restored.
 */
@Command(name = "registry-cache", mixinStandardHelpOptions = true, version = "registry-cache 0.1.0",
    description = "Node-local pull-through cache for OCI registries.",
    subcommands = {CacheCommand.class, CleanupCommand.class, OperatorCommand.class, UninstallCommand.class})
public final class Main {
  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }
}
