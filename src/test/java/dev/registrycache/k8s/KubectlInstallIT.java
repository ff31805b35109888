package dev.registrycache.k8s;

import static dev.registrycache.k8s.KitCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.api.v1alpha1.RegistryCache;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The kubectl way on a real kubelet node: {@code manifests/} as a kustomize base, an overlay that
 * names the user's own image once (the way docs/operator.md shows), {@code kubectl apply}, a
 * hand-made RegistryCache whose cache pod runs that same image and configures the node, then
 * {@code kubectl delete -f}: every RegistryCache, pod, namespace and the CRD gone, nothing left
 * Terminating, certs.d byte for byte as before. The overlay also carries what this sandbox needs
 * and a real cluster does not: the operator in the node's network (no kube-proxy here).
 */
class KubectlInstallIT {
  static final Path OVERLAY = Path.of("target/kubectl-install");
  static final Duration LONG = Duration.ofSeconds(150);

  @Test
  void kustomizeNamesTheImageOnceApplyThenDeleteLeavesTheNodeAsItWas() throws Exception {
    String image = System.getProperty("e2e.image");
    assertTrue(image != null && !image.isBlank(), "-De2e.image=REPO:TAG is not set: run .ci/run");
    int colon = image.lastIndexOf(':');
    Files.createDirectories(OVERLAY);
    Files.writeString(OVERLAY.resolve("kustomization.yaml"), "bases: [../../manifests]\n"
        + "images:\n  - name: ghcr.io/registry-cache/registry-cache\n    newName: " + image.substring(0, colon)
        + "\n    newTag: \"" + image.substring(colon + 1) + "\"\n"
        + "patchesStrategicMerge: [sandbox.yaml]\n"
        + "patchesJson6902:\n  - target: {group: apps, version: v1, kind: Deployment, name: registry-cache, "
        + "namespace: registry-cache}\n    path: port.yaml\n");
    Files.writeString(OVERLAY.resolve("port.yaml"),
        "- {op: replace, path: /spec/template/spec/containers/0/ports/0/containerPort, value: 18091}\n");
    Files.writeString(OVERLAY.resolve("sandbox.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        + "  name: registry-cache\n  namespace: registry-cache\nspec:\n  template:\n    spec:\n"
        + "      hostNetwork: true\n      dnsPolicy: ClusterFirstWithHostNet\n      containers:\n"
        + "        - name: operator\n          env:\n"
        + "            - {name: KUBERNETES_SERVICE_HOST, value: \"127.0.0.1\"}\n"
        + "            - {name: KUBERNETES_SERVICE_PORT, value: \"16043\"}\n"
        + "            - {name: REGISTRY_CACHE_OPERATOR_LISTEN, value: \"0.0.0.0:18091\"}\n");
    String rendered = KitCluster.kubectl("kustomize", OVERLAY.toString());
    Path manifest = OVERLAY.resolve("rendered.yaml");
    Files.writeString(manifest, rendered);
    assertTrue(rendered.contains("image: " + image), "the operator runs the user's image");
    assertTrue(!rendered.contains("ghcr.io/registry-cache"), "no other image is named anywhere");

    try (KubernetesClient k = KitCluster.admin()) {
      Map<String, String> before = NodeE2EIT.snapshot();
      Path storage = Path.of("/var/tmp/registry-cache-kubectl-" + System.currentTimeMillis());
      long t0 = System.nanoTime();
      // a fresh cluster: no CRD applied by another tool before (its fields would be another manager's)
      k.apiextensions().v1().customResourceDefinitions().withName("registrycaches.registrycache.dev").delete();
      await("no CRD", LONG, () -> k.apiextensions().v1().customResourceDefinitions()
          .withName("registrycaches.registrycache.dev").get() == null);
      try {
        KitCluster.kubectl("apply", "--server-side", "-f", manifest.toString());
        await("the CRD established", LONG, () -> k.apiextensions().v1().customResourceDefinitions()
            .withName("registrycaches.registrycache.dev").get().getStatus().getConditions().stream()
            .anyMatch(c -> c.getType().equals("Established") && c.getStatus().equals("True")));
        RegistryCache rc = NodeE2EIT.kitCache(storage);
        rc.getMetadata().setName("kubectl");
        rc.getSpec().registries.removeIf(r -> r.credentialsSecretRef != null);
        k.resources(RegistryCache.class).resource(rc).forceConflicts().serverSideApply();
        await("RegistryCache kubectl 1/1", LONG, () -> {
          RegistryCache r = k.resources(RegistryCache.class).withName("kubectl").get();
          return r != null && r.getStatus() != null && "1/1".equals(r.getStatus().ready) ? r : null;
        });
        System.out.printf("kubectl apply to a caching node: %.1f s%n", (System.nanoTime() - t0) / 1e9);
        String cacheImage = k.apps().daemonSets().inNamespace("registry-cache").withName("registry-cache-kubectl").get()
            .getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
        assertEquals(image, cacheImage, "the one images: entry reached the cache pods too");
        Deployment d = k.apps().deployments().inNamespace("registry-cache").withName("registry-cache").get();
        assertEquals(image, d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
        assertTrue(Files.readString(NodeE2EIT.CERTS_D.resolve("docker.io/hosts.toml")).contains("127.0.0.1:5000"));
      } finally {
        long u0 = System.nanoTime();
        // what the docs say: delete what was applied; kubectl waits for the namespace and the CRD
        KitCluster.kubectl("delete", "--ignore-not-found", "--timeout=150s", "-f", manifest.toString());
        System.out.printf("kubectl delete -f: %.1f s%n", (System.nanoTime() - u0) / 1e9);
      }
      await("nothing left: CRD, namespace, cache pods", LONG, () -> k.apiextensions().v1()
          .customResourceDefinitions().withName("registrycaches.registrycache.dev").get() == null
          && k.namespaces().withName("registry-cache").get() == null);
      assertEquals(before, NodeE2EIT.snapshot(), "certs.d byte for byte as before");
      assertTrue(k.rbac().clusterRoles().withLabel("app.kubernetes.io/instance", "registry-cache").list().getItems()
          .isEmpty(), "no cluster role left");
      try (var files = Files.walk(storage)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
