package dev.registrycache.k8s;

import static dev.registrycache.k8s.KitCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.api.v1alpha1.RegistryCacheSpec;
import dev.registrycache.chart.DocumentedSizes;
import dev.registrycache.config.Sizes;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The sizes of a RegistryCache on the real Kubernetes 1.20 API server (Go's regular expressions):
 * every size the docs and manifests give is accepted in both size fields, as the cache's parser
 * accepts it, and every string the parser refuses ({@link DocumentedSizes#REFUSED}) is refused
 * naming the fields. Server-side dry runs: nothing is stored.
 */
class QuantitiesOnApiServerIT {
  static final Duration SETTLE = Duration.ofSeconds(60);

  private static void dryRunCreate(KubernetesClient admin, String size) {
    RegistryCacheSpec spec = new RegistryCacheSpec();
    spec.storage.maxSize = size;
    spec.storage.minFreeSpace = size;
    RegistryCache rc = new RegistryCache();
    rc.setMetadata(new ObjectMetaBuilder().withName("quantities-it").build());
    rc.setSpec(spec);
    admin.resources(RegistryCache.class).resource(rc).dryRun().create();
  }

  private static String servedPattern(KubernetesClient admin, String name) {
    CustomResourceDefinition crd = admin.apiextensions().v1().customResourceDefinitions().withName(name).get();
    return crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema().getProperties().get("spec")
        .getProperties().get("storage").getProperties().get("maxSize").getPattern();
  }

  @Test
  void theApiServerAcceptsTheSizesTheCacheAcceptsAndRefusesTheOthers() throws Exception {
    Map<String, String> examples = DocumentedSizes.examples();
    assertFalse(examples.isEmpty(), "no documented size found");
    try (KubernetesClient admin = KitCluster.admin()) {
      CustomResourceDefinition crd = admin.apiextensions().v1().customResourceDefinitions()
          .load(Files.newInputStream(DocumentedSizes.CRD)).item();
      admin.resource(crd).forceConflicts().serverSideApply();
      String name = crd.getMetadata().getName();
      await("the CRD with the cache's size pattern", SETTLE,
          () -> Sizes.SIZE_PATTERN.equals(servedPattern(admin, name)));
      // the server validates with a changed schema a moment after storing it
      await("the API server validating sizes with the cache's pattern", SETTLE, () -> {
        dryRunCreate(admin, "1e9");
        return true;
      });

      List<String> refused = new ArrayList<>();
      examples.forEach((size, where) -> {
        try {
          dryRunCreate(admin, size);
        } catch (KubernetesClientException e) {
          refused.add(where + ": " + size + ": " + (e.getStatus() == null ? e.getMessage()
              : e.getStatus().getMessage()));
        }
      });
      List<String> accepted = new ArrayList<>();
      for (String notASize : DocumentedSizes.REFUSED) {
        try {
          dryRunCreate(admin, notASize);
          accepted.add("'" + notASize + "'");
        } catch (KubernetesClientException e) {
          String m = String.valueOf(e.getMessage());
          if (e.getCode() != 422 || !m.contains("spec.storage.maxSize") || !m.contains("spec.storage.minFreeSpace")) {
            accepted.add("'" + notASize + "' refused for another reason: " + m);
          }
        }
      }
      assertEquals(Sizes.SIZE_PATTERN, servedPattern(admin, name), "the CRD was replaced while this test ran");
      assertEquals(List.of(), refused, "documented sizes the API server refuses");
      assertEquals(List.of(), accepted, "strings the cache refuses but the API server accepts");
    }
  }
}
