package dev.registrycache.operator.dependent;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.operator.DesiredState;
import dev.registrycache.operator.ResourceNames;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Constants;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import java.util.Map;

/** The cache's config file (no credentials: those are in the credentials Secret). */
@KubernetesDependent(informer = @Informer(namespaces = Constants.WATCH_CURRENT_NAMESPACE,
    labelSelector = DependentLabels.SELECTOR))
public class ConfigMapDependent extends RecordedDependent<ConfigMap> {
  public ConfigMapDependent() {
    super(ConfigMap.class);
  }

  @Override
  protected ConfigMap desired(RegistryCache rc, Context<RegistryCache> context) {
    DesiredState state = DesiredState.of(rc, context);
    return new ConfigMapBuilder()
        .withMetadata(ResourceNames.metadata(rc, ResourceNames.configMap(rc), state.operator().namespace()))
        .withData(Map.of(ResourceNames.CONFIG_FILE, state.config().configYaml()))
        .build();
  }
}
