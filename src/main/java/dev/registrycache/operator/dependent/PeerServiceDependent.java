package dev.registrycache.operator.dependent;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.operator.DesiredState;
import dev.registrycache.operator.ResourceNames;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Constants;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/**
 * The headless Service of a RegistryCache's cache pods. Nothing connects to it: the EndpointSlice
 * controller lists its ready pods with their node and zone, and each cache watches those slices
 * to know its peers. Exists while the caches ask each other.
 */
// created by apply without "only if it does not exist" (a resourceVersion on the apply), which API
// servers before 1.24 refuse for Services ("resourceVersion should not be set on objects to be created")
@KubernetesDependent(createResourceOnlyIfNotExistingWithSSA = false,
    informer = @Informer(namespaces = Constants.WATCH_CURRENT_NAMESPACE, labelSelector = DependentLabels.SELECTOR))
public class PeerServiceDependent extends RecordedDependent<Service> {
  public PeerServiceDependent() {
    super(Service.class);
  }

  @Override
  protected Service desired(RegistryCache rc, Context<RegistryCache> context) {
    DesiredState state = DesiredState.of(rc, context);
    int port = rc.effectiveSpec().peers.port;
    return new ServiceBuilder()
        .withMetadata(ResourceNames.metadata(rc, ResourceNames.peerService(rc), state.operator().namespace()))
        .withNewSpec()
          .withClusterIP("None")
          .withSelector(ResourceNames.selector(rc))
          .addNewPort().withName(ResourceNames.PEER_PORT).withPort(port).withTargetPort(new IntOrString(port))
            .withProtocol("TCP").endPort()
        .endSpec()
        .build();
  }

  /** Reconcile precondition: the caches ask each other (otherwise the Service is removed). */
  public static class PeersOn implements Condition<Service, RegistryCache> {
    @Override
    public boolean isMet(DependentResource<Service, RegistryCache> d, RegistryCache rc, Context<RegistryCache> context) {
      return DesiredState.of(rc, context).peers() != null;
    }
  }
}
