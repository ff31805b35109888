package dev.registrycache.node;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The node side of the cache's life: mirror entries are written only once the local cache
 * answers {@code GET /v2/} (so a node never points at a cache that is not there), re-applied
 * periodically (idempotent: puts back entries someone removed), and removed before the server
 * stops. Whatever stands in the way is reported in {@link #status()}, never thrown.
 *
 * <p>Once {@link #stop stopped} (at shutdown), nothing writes entries again: the periodic
 * re-apply is cancelled and awaited before the node is restored, and an {@link #apply} that
 * comes later anyway does nothing, so a node being cleaned up never gets entries that point at a
 * cache that is going away.
 */
public final class NodeMirrorLifecycle {
  /** Where the node's configuration stands, for logs, readiness and the admin {@code /status}. */
  public record Status(boolean configured, String summary, List<String> problems) {}

  private final NodeMirrorPlan requested;
  private final Path hostRoot;
  private final String containerRuntimeVersion;
  private final boolean autoDetect;
  private final Consumer<String> log;
  private final AtomicReference<Status> status =
      new AtomicReference<>(new Status(false, "node not configured yet", List.of()));
  private volatile NodeMirrorPlan applied;
  /** Set by {@link #stop}: from then on {@link #apply} writes nothing. */
  private volatile boolean stopped;
  private ScheduledExecutorService reapplying;

  /**
   * @param plan what to write; with {@code autoDetect} its directories are replaced by the ones
   *     {@link RuntimeDetector} finds under {@code hostRoot}
   */
  public NodeMirrorLifecycle(NodeMirrorPlan plan, Path hostRoot, String containerRuntimeVersion,
      boolean autoDetect, Consumer<String> log) {
    this.requested = Objects.requireNonNull(plan);
    this.hostRoot = hostRoot;
    this.containerRuntimeVersion = containerRuntimeVersion;
    this.autoDetect = autoDetect;
    this.log = log;
  }

  public Status status() {
    return status.get();
  }

  /** True when the local cache answers {@code GET /v2/} with 200 or 401 within the timeout. */
  public static boolean cacheAnswers(String endpoint, Duration timeout) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).build();
    try {
      HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://" + endpoint + "/v2/"))
          .timeout(timeout).GET().build(), HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200 || r.statusCode() == 401;
    } catch (java.io.IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Applies now, then again {@code period} after each application ends, on a thread of its own,
   * until {@link #stop}; {@code afterEach} gets the status of each application (e.g. to report
   * it in the pod's status).
   */
  public synchronized void startReapplying(Duration period, java.util.function.Consumer<Status> afterEach) {
    if (stopped || reapplying != null) {
      throw new IllegalStateException("re-applying already started, or stopped");
    }
    reapplying = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "node-config");
      t.setDaemon(true);
      return t;
    });
    reapplying.scheduleWithFixedDelay(() -> afterEach.accept(apply()), 0, period.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /**
   * At shutdown: stops re-applying (an application under way may finish, for at most
   * {@code wait}; it is not interrupted halfway through writing a file), then removes our
   * entries and restores what was there before. Nothing writes entries after this.
   */
  public Status stop(Duration wait) {
    stopped = true; // an application that starts from now on writes nothing
    ScheduledExecutorService s;
    synchronized (this) {
      s = reapplying;
    }
    if (s != null) {
      s.shutdown(); // no further runs; one under way is let finish
      try {
        if (!s.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS)) {
          log.accept("node: configuration still being applied after " + wait.toMillis()
              + " ms; restoring once it is done");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return restore(); // waits for the monitor an application under way holds
  }

  /**
   * Checks the cache, detects the runtimes, writes the entries. Safe to call repeatedly; does
   * nothing once {@link #stop stopped}.
   */
  public synchronized Status apply() {
    if (stopped) {
      return status();
    }
    if (!cacheAnswers(requested.cacheEndpoint(), Duration.ofSeconds(2))) {
      return set(new Status(false, "the cache at " + requested.cacheEndpoint()
          + " does not answer GET /v2/: mirror entries not written", List.of("cache not answering")));
    }
    NodeMirrorPlan plan = requested;
    String detected = "";
    if (autoDetect) {
      NodeRuntimes rt = new RuntimeDetector(hostRoot).detect(containerRuntimeVersion);
      detected = rt.summary();
      rt.notes().forEach(n -> log.accept("node: " + n));
      if (!rt.configurable()) {
        List<String> problems = rt.problems().isEmpty()
            ? List.of("no container runtime configuration found under " + hostRoot) : rt.problems();
        return set(new Status(false, "node cannot be configured: " + String.join("; ", problems), problems));
      }
      plan = new NodeMirrorPlan(requested.cacheEndpoint(), requested.registries(), rt.applyTo(requested.options()));
    }
    if (stopped) { // stopped while the cache was being checked: restoring is about to run
      return status();
    }
    List<String> access = NodeAccessCheck.problems(plan.options(), hostRoot, NodeMirrorLifecycle::crioProcessVisible);
    ConfigChanges c = new NodeMirrorConfigurator(plan).apply();
    applied = plan;
    c.actions().forEach(a -> log.accept("node: " + a));
    c.warnings().forEach(w -> log.accept("node: warning: " + w));
    if (!c.succeeded()) {
      c.errors().forEach(e -> log.accept("node: error: " + e));
    }
    if (!access.isEmpty()) {
      // what stands in the way says more than the write that failed because of it; entries that
      // were written take effect once it is fixed
      return set(new Status(false, "node cannot be configured: " + String.join("; ", access), access));
    }
    if (!c.succeeded()) {
      return set(new Status(false, "writing mirror entries failed: " + String.join("; ", c.errors()), c.errors()));
    }
    return set(new Status(true, "mirror entries in place" + (detected.isEmpty() ? "" : " (" + detected + ")")
        + " for " + plan.registries().size() + " registries", List.of()));
  }

  private static boolean crioProcessVisible() {
    try {
      return !CrioReloader.forThisHost().findCrio().isEmpty();
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /** Removes our entries and restores what was there before. */
  public synchronized Status restore() {
    NodeMirrorPlan plan = applied != null ? applied : requested;
    ConfigChanges c = new NodeMirrorConfigurator(plan).restore();
    c.actions().forEach(a -> log.accept("node: " + a));
    c.errors().forEach(e -> log.accept("node: error: " + e));
    return set(new Status(false, c.succeeded() ? "mirror entries removed" : "restoring failed: "
        + String.join("; ", c.errors()), c.errors()));
  }

  private Status set(Status s) {
    Status old = status.getAndSet(s);
    if (!s.equals(old)) {
      log.accept("node: " + s.summary());
    }
    return s;
  }
}
