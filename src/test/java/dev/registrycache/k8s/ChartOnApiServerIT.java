package dev.registrycache.k8s;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.registrycache.chart.ChartRendering;
import dev.registrycache.chart.GeneratedFilesTest;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every object the chart renders (defaults, and every optional block on) and every object of
 * manifests/install.yaml and manifests/examples/, sent to the real Kubernetes 1.20 API server as a
 * server-side dry run:
 * a field the server does not know or accept fails here. The ServiceMonitor is left out: its
 * CRD belongs to the Prometheus Operator, which the kit does not run.
 */
class ChartOnApiServerIT {
  private static List<String> dryRun(KubernetesClient admin, String yaml) {
    List<String> refused = new ArrayList<>();
    List<HasMetadata> objects = admin.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items();
    assertTrue(objects.size() > 5, "rendered objects: " + objects.size());
    for (HasMetadata o : objects) {
      if (o.getKind().equals("ServiceMonitor")) {
        continue;
      }
      try {
        admin.resource(o).dryRun().forceConflicts().serverSideApply();
      } catch (KubernetesClientException e) {
        refused.add(o.getKind() + "/" + o.getMetadata().getName() + ": " + e.getStatus().getMessage());
      }
    }
    return refused;
  }

  @Test
  void everyRenderedObjectIsAcceptedByTheApiServer() throws Exception {
    try (KubernetesClient admin = KitCluster.admin()) {
      // namespaced objects need their namespace, and a RegistryCache its CRD, for real
      admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("registry-cache").endMetadata()
          .build()).forceConflicts().serverSideApply();
      String install = GeneratedFilesTest.renderInstallManifest();
      admin.load(new ByteArrayInputStream(install.getBytes(StandardCharsets.UTF_8))).items().stream()
          .filter(o -> o.getKind().equals("CustomResourceDefinition"))
          .forEach(crd -> admin.resource(crd).forceConflicts().serverSideApply());
      List<String> refused = new ArrayList<>(dryRun(admin, install));
      String everything = ChartRendering.render(Map.of(
          "replicas", 2, "serviceMonitor.enabled", true, "grafanaDashboard.enabled", true,
          "registryCache.create", true, "registryCache.spec.port", 5055,
          "registryCache.spec.registries[0].name", "quay.io",
          "hostNetwork", true, "extraEnv[0].name", "KUBERNETES_SERVICE_HOST", "extraEnv[0].value", "127.0.0.1"));
      assertTrue(everything.contains("kind: RegistryCache"));
      refused.addAll(dryRun(admin, everything));
      for (String example : List.of("minimal.yaml", "full.yaml")) {
        for (HasMetadata o : admin.load(Files.newInputStream(Path.of("manifests/examples", example))).items()) {
          try {
            admin.resource(o).dryRun().forceConflicts().serverSideApply();
          } catch (KubernetesClientException e) {
            refused.add(example + ": " + e.getStatus().getMessage());
          }
        }
      }
      assertFalse(!refused.isEmpty(), "refused by the API server: " + refused);
    }
  }
}
