package dev.registrycache.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.registrycache.node.NodeMirrorPlan.MirroredRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node side of shutdown: once the lifecycle is stopped, the periodic re-apply is over and
 * nothing puts mirror entries back on a node that has just been restored.
 */
class NodeMirrorLifecycleTest {
  private static final Duration PERIOD = Duration.ofMillis(20);
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  Path root;
  private HttpServer cache;
  /** Opened by the test to let the fake cache answer {@code GET /v2/} (null: answer at once). */
  private volatile CountDownLatch answerGate;
  private final CountDownLatch checking = new CountDownLatch(1);
  private Path hostsToml;

  @BeforeEach
  void startFakeCache() throws IOException {
    cache = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    cache.createContext("/v2/", exchange -> {
      checking.countDown();
      CountDownLatch gate = answerGate;
      try {
        if (gate != null && !gate.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
          exchange.close();
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    cache.start();
    Files.createDirectories(root.resolve("etc/containerd"));
    hostsToml = root.resolve("etc/containerd/certs.d/docker.io/hosts.toml");
  }

  @AfterEach
  void stopFakeCache() {
    CountDownLatch gate = answerGate;
    if (gate != null) {
      gate.countDown();
    }
    cache.stop(0);
  }

  private NodeMirrorLifecycle lifecycle() {
    String endpoint = "127.0.0.1:" + cache.getAddress().getPort();
    NodeMirrorPlan.Options o = NodeMirrorPlan.Options.defaults(root).withRegistriesConfDir(null);
    return new NodeMirrorLifecycle(new NodeMirrorPlan(endpoint, List.of(MirroredRegistry.of("docker.io")), o),
        root, null, false, line -> { });
  }

  @Test
  void afterStopNoReapplyPutsTheEntriesBack() throws Exception {
    NodeMirrorLifecycle node = lifecycle();
    List<NodeMirrorLifecycle.Status> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
    node.startReapplying(PERIOD, reported::add);
    await("entries written", () -> Files.exists(hostsToml));
    await("each application reported", () -> !reported.isEmpty() && reported.get(0).configured());
    Files.delete(hostsToml);
    await("re-applied after someone removed them", () -> Files.exists(hostsToml));

    NodeMirrorLifecycle.Status stopped = node.stop(WAIT);
    assertFalse(stopped.configured(), stopped.summary());
    assertFalse(Files.exists(hostsToml), "restored");
    Thread.sleep(20 * PERIOD.toMillis());
    assertFalse(Files.exists(hostsToml), "no re-apply after the node was restored");
    assertFalse(node.apply().configured());
    assertFalse(Files.exists(hostsToml), "an apply after stop writes nothing");
  }

  @Test
  void anApplyUnderWayWhenStoppingIsDoneBeforeTheNodeIsRestored() throws Exception {
    NodeMirrorLifecycle node = lifecycle();
    answerGate = new CountDownLatch(1); // the first check of the cache hangs until we say so
    node.startReapplying(PERIOD, st -> { });
    assertTrue(checking.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "re-apply under way");

    CompletableFuture<NodeMirrorLifecycle.Status> stopping = CompletableFuture.supplyAsync(() -> node.stop(WAIT));
    Thread.sleep(100); // stop is now waiting for the application under way
    assertFalse(stopping.isDone(), "stop waits for the application under way");
    answerGate.countDown(); // the cache answers: that application goes on
    NodeMirrorLifecycle.Status s = stopping.get(WAIT.toSeconds() + 5, TimeUnit.SECONDS);
    assertEquals("mirror entries removed", s.summary());
    assertFalse(Files.exists(hostsToml), "nothing written after (or left by) the last application");
    Thread.sleep(10 * PERIOD.toMillis());
    assertFalse(Files.exists(hostsToml));
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting: " + what);
      Thread.sleep(10);
    }
  }
}
