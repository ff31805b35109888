package dev.registrycache.node;

import java.io.IOException;
import java.util.Objects;

/**
 * Points the node's container runtimes at the local cache ({@link #apply()}) and undoes it
 * ({@link #restore()}), as described by a {@link NodeMirrorPlan}.
 *
 * <ul>
 *   <li>containerd: {@link ContainerdHostsWriter} into {@code options.containerdCertsDir()};
 *   <li>CRI-O, podman, skopeo: {@link CrioRegistriesWriter} into {@code options.registriesConfDir()},
 *       then, if {@code options.reloadCrio()} and the drop-in changed, {@link CrioReloader};
 *   <li>Docker Engine: nothing is written ({@code daemon.json} is read only when dockerd starts;
 *       {@link RuntimeDetector} says what to add).
 * </ul>
 *
 * Both operations are idempotent and keep everything they need on disk, so {@link #restore()} works
 * in a new process after the previous one was killed. {@link #restore()} only needs the directories
 * of the plan; its registry list is not used (everything registry-cache wrote is found on disk).
 */
public final class NodeMirrorConfigurator {
  private final NodeMirrorPlan plan;
  private final CrioReloader crioReloader;

  public NodeMirrorConfigurator(NodeMirrorPlan plan) {
    this(plan, CrioReloader.forThisHost());
  }

  public NodeMirrorConfigurator(NodeMirrorPlan plan, CrioReloader crioReloader) {
    this.plan = Objects.requireNonNull(plan, "plan");
    this.crioReloader = Objects.requireNonNull(crioReloader, "crioReloader");
  }

  /**
   * Writes (or updates) the mirror configuration. Never throws for I/O problems: each runtime's
   * part runs even when another failed, and failures are in {@link ConfigChanges#errors()}.
   */
  public ConfigChanges apply() {
    return run(true);
  }

  /** Removes the mirror configuration and puts back what was there before. Same error handling as {@link #apply()}. */
  public ConfigChanges restore() {
    return run(false);
  }

  private ConfigChanges run(boolean apply) {
    ConfigChanges all = new ConfigChanges();
    NodeMirrorPlan.Options o = plan.options();
    if (o.containerdCertsDir() != null) {
      ContainerdHostsWriter w = new ContainerdHostsWriter(o.containerdCertsDir());
      try {
        all.addAll(apply ? w.apply(plan) : w.restore());
      } catch (IOException | RuntimeException e) {
        all.fail("containerd (" + o.containerdCertsDir() + "): " + describe(e));
      }
    }
    if (o.registriesConfDir() != null) {
      CrioRegistriesWriter w = new CrioRegistriesWriter(o.registriesConfDir());
      try {
        ConfigChanges c = apply ? w.apply(plan) : w.restore();
        all.addAll(c);
        if (c.changedAnything() && o.reloadCrio()) {
          CrioReloader.Result r = crioReloader.reload();
          if (r.reloaded()) {
            all.did(r.message());
          } else {
            all.warn(r.message());
          }
        }
      } catch (IOException | RuntimeException e) {
        all.fail("CRI-O (" + o.registriesConfDir() + "): " + describe(e));
      }
    }
    return all;
  }

  private static String describe(Exception e) {
    if (e instanceof Toml.InvalidTomlException) {
      return e.getMessage(); // names the file and the line already
    }
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }
}
