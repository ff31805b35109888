package dev.registrycache.k8s;

import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The real Kubernetes control plane of {@code ../shared/k8s} (kube-apiserver 1.20 on
 * 127.0.0.1:16043), started by {@code .ci/run}. Its absence fails the tests: they never skip.
 */
final class KitCluster {
  static final Path ADMIN_KUBECONFIG = Path.of(System.getenv().getOrDefault("KUBECONFIG",
      "/var/tmp/k8s-kit/run/admin.kubeconfig"));
  static final Path KUBECTL = Path.of("/var/cache/k8s-kit/bin/kubectl");

  private KitCluster() {}

  /** An admin client; fails the test when the kit's API server is not there. */
  static KubernetesClient admin() throws IOException {
    if (!Files.isReadable(ADMIN_KUBECONFIG)) {
      fail("no kubeconfig at " + ADMIN_KUBECONFIG + ": start ../shared/k8s/start-cluster.sh first (.ci/run does)");
    }
    Config config = Config.fromKubeconfig(Files.readString(ADMIN_KUBECONFIG));
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    try {
      String v = client.getKubernetesVersion().getGitVersion();
      System.out.println("kit API server " + config.getMasterUrl() + " version " + v);
    } catch (RuntimeException e) {
      client.close();
      fail("the kit's API server at " + config.getMasterUrl() + " does not answer: " + e.getMessage());
    }
    return client;
  }

  /** Polls {@code check} until it returns non-null, at most {@code limit}; fails with {@code what}. */
  static <T> T await(String what, Duration limit, Supplier<T> check) {
    long deadline = System.nanoTime() + limit.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        T v = check.get();
        if (v != null && !Boolean.FALSE.equals(v)) {
          return v;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted waiting for " + what);
      }
    }
    return fail("not within " + limit + ": " + what + (last == null ? "" : " (last error: " + last + ")"));
  }

  /** Runs kubectl with the admin kubeconfig; returns its output (fails on a non-zero exit). */
  static String kubectl(String... args) throws IOException, InterruptedException {
    String[] cmd = new String[args.length + 5];
    cmd[0] = KUBECTL.toString();
    cmd[1] = "--kubeconfig";
    cmd[2] = ADMIN_KUBECONFIG.toString();
    // a discovery cache of an earlier cluster on the same address would not know the CRD yet
    cmd[3] = "--cache-dir";
    cmd[4] = Files.createTempDirectory("kubectl-cache").toString();
    System.arraycopy(args, 0, cmd, 5, args.length);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      fail("kubectl " + String.join(" ", args) + " failed: " + out);
    }
    return out;
  }
}
