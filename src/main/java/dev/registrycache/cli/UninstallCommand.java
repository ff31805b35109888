package dev.registrycache.cli;

import dev.registrycache.api.v1alpha1.RegistryCache;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code registry-cache uninstall}: deletes the RegistryCaches a label selector matches and waits
 * until they are gone, i.e. until the operator's finalizer has let every node restore its
 * configuration. Run by the chart's pre-delete hook, before the operator itself is removed.
 */
@Command(name = "uninstall", mixinStandardHelpOptions = true,
    description = "Delete RegistryCaches and wait until their nodes are restored.")
public final class UninstallCommand implements Callable<Integer> {
  @Option(names = "--selector", required = true, description = "label selector, e.g. app.kubernetes.io/instance=NAME")
  String selector;

  @Option(names = "--timeout-seconds", defaultValue = "300", description = "give up after this long (exit status 1)")
  int timeoutSeconds;

  @Override
  public Integer call() throws InterruptedException {
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      var caches = client.resources(RegistryCache.class).withLabelSelector(selector);
      List<String> names = caches.list().getItems().stream().map(r -> r.getMetadata().getName()).toList();
      System.out.println("deleting RegistryCaches " + names);
      for (String name : names) { // one by one: the hook's role grants delete, not deletecollection
        client.resources(RegistryCache.class).withName(name).delete();
      }
      long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
      while (true) {
        List<String> left = caches.list().getItems().stream().map(r -> r.getMetadata().getName()).toList();
        if (left.isEmpty()) {
          System.out.println("every RegistryCache is gone; nodes restored");
          return 0;
        }
        if (System.nanoTime() > deadline) {
          System.err.println("still there after " + timeoutSeconds + " s: " + left
              + " (is the operator running? kubectl describe regcache)");
          return 1;
        }
        Thread.sleep(1000);
      }
    }
  }
}
