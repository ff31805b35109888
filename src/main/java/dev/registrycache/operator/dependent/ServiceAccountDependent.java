package dev.registrycache.operator.dependent;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.operator.DesiredState;
import dev.registrycache.operator.ResourceNames;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Constants;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * The cache pods' ServiceAccount. Its only permission, from the chart's RBAC, is writing pod
 * status in the operator's namespace (each cache pod reports its node's state); the token is
 * mounted by the pod template, never by default.
 */
@KubernetesDependent(informer = @Informer(namespaces = Constants.WATCH_CURRENT_NAMESPACE,
    labelSelector = DependentLabels.SELECTOR))
public class ServiceAccountDependent extends RecordedDependent<ServiceAccount> {
  public ServiceAccountDependent() {
    super(ServiceAccount.class);
  }

  @Override
  protected ServiceAccount desired(RegistryCache rc, Context<RegistryCache> context) {
    return new ServiceAccountBuilder()
        .withMetadata(ResourceNames.metadata(rc, ResourceNames.serviceAccount(rc), DesiredState.settings().namespace()))
        .withAutomountServiceAccountToken(false)
        .build();
  }
}
