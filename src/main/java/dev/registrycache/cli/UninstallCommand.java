package dev.registrycache.cli;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.operator.ResourceNames;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code registry-cache uninstall}: deletes every RegistryCache of the cluster and waits, at most
 * {@code --timeout-seconds}, until the cache pods in {@code --namespace} are gone, i.e. every
 * node has restored its runtime configuration. Run by the chart's pre-delete hook, before the
 * operator itself is removed. It exits 0 after the wait whatever happened (a node that is gone
 * never confirms, and its pod is removed anyway): an uninstall must never hang or fail on it.
 */
@Command(name = "uninstall", mixinStandardHelpOptions = true,
    description = "Delete every RegistryCache and wait until their cache pods have restored their nodes.")
public final class UninstallCommand implements Callable<Integer> {
  @Option(names = "--namespace", required = true, description = "the operator's namespace, where the cache pods run")
  String namespace;

  @Option(names = "--timeout-seconds", defaultValue = "300", description = "wait at most this long for the cache pods")
  int timeoutSeconds;

  @Override
  public Integer call() throws InterruptedException {
    try (KubernetesClient client = new KubernetesClientBuilder().build()) {
      List<RegistryCache> caches = client.resources(RegistryCache.class).list().getItems();
      System.out.println("deleting RegistryCaches " + caches.stream().map(r -> r.getMetadata().getName()).toList());
      for (RegistryCache rc : caches) { // one by one: the hook's role grants delete, not deletecollection
        var one = client.resources(RegistryCache.class).withName(rc.getMetadata().getName());
        if (rc.getMetadata().getFinalizers() != null
            && rc.getMetadata().getFinalizers().contains(ResourceNames.LEGACY_FINALIZER)) {
          one.edit(r -> {
            r.getMetadata().getFinalizers().remove(ResourceNames.LEGACY_FINALIZER);
            return r;
          });
        }
        one.delete();
      }
      long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
      while (true) {
        List<String> left = cachePods(client);
        if (left.isEmpty()) {
          System.out.println("every cache pod is gone: nodes restored");
          return 0;
        }
        if (System.nanoTime() > deadline) {
          System.out.println("warning: cache pods still there after " + timeoutSeconds + " s: " + left
              + " (nodes gone?); they restore their nodes when they stop");
          return 0;
        }
        Thread.sleep(1000);
      }
    } catch (KubernetesClientException e) {
      System.out.println("warning: " + e.getMessage() + "; the cache pods restore their nodes when they stop");
      return 0;
    }
  }

  private List<String> cachePods(KubernetesClient client) {
    return client.pods().inNamespace(namespace)
        .withLabel("app.kubernetes.io/managed-by", ResourceNames.MANAGED_BY).list().getItems().stream()
        .map(p -> p.getMetadata().getName()).toList();
  }
}
