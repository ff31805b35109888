package dev.registrycache.node;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Command-line entry for src/test/e2e/node-runtimes.sh: writes or restores node mirror
 * configuration with the real writers (JDK classes only, so it runs with just target/classes and
 * target/test-classes on the class path).
 *
 * <pre>
 * WriteNodeConfigForE2E apply|restore --cache HOST:PORT [--certs-dir DIR] [--registries-dir DIR]
 *     [--registry NAME[=UPSTREAM_URL]]... [--default] [--no-keep] [--dial-timeout D] [--hold]
 * </pre>
 * Prints each action, warning and error on its own line; exits 1 on errors, 2 on bad usage.
 * {@code --hold} prints {@code holding} after the work and then sleeps for a minute, so that a test
 * can kill the process (SIGKILL) while its configuration is in place.
 */
public final class WriteNodeConfigForE2E {
  private WriteNodeConfigForE2E() {}

  public static void main(String[] args) {
    if (args.length == 0 || !(args[0].equals("apply") || args[0].equals("restore"))) {
      System.err.println("usage: apply|restore --cache HOST:PORT [--certs-dir DIR] [--registries-dir DIR]"
          + " [--registry NAME[=URL]]... [--default] [--no-keep] [--dial-timeout D]");
      System.exit(2);
    }
    String cache = null;
    Path certs = null;
    Path regs = null;
    boolean def = false;
    boolean keep = true;
    boolean hold = false;
    String dial = NodeMirrorPlan.Options.DEFAULT_DIAL_TIMEOUT;
    List<NodeMirrorPlan.MirroredRegistry> registries = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--cache" -> cache = args[++i];
        case "--certs-dir" -> certs = Path.of(args[++i]);
        case "--registries-dir" -> regs = Path.of(args[++i]);
        case "--default" -> def = true;
        case "--no-keep" -> keep = false;
        case "--hold" -> hold = true;
        case "--dial-timeout" -> dial = args[++i];
        case "--registry" -> {
          String[] r = args[++i].split("=", 2);
          registries.add(new NodeMirrorPlan.MirroredRegistry(r[0], r.length > 1 ? r[1] : null));
        }
        default -> {
          System.err.println("unknown argument " + args[i]);
          System.exit(2);
        }
      }
    }
    if (cache == null) {
      System.err.println("--cache is required");
      System.exit(2);
    }
    NodeMirrorPlan.Options options = new NodeMirrorPlan.Options(certs, regs, def, keep, dial, false);
    NodeMirrorConfigurator c = new NodeMirrorConfigurator(new NodeMirrorPlan(cache, registries, options));
    ConfigChanges changes = args[0].equals("apply") ? c.apply() : c.restore();
    changes.actions().forEach(a -> System.out.println("did: " + a));
    changes.warnings().forEach(w -> System.out.println("warning: " + w));
    changes.errors().forEach(e -> System.out.println("error: " + e));
    if (hold) {
      System.out.println("holding");
      System.out.flush();
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    System.exit(changes.succeeded() ? 0 : 1);
  }
}
