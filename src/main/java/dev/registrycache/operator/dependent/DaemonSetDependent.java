package dev.registrycache.operator.dependent;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.operator.DaemonSetModel;
import dev.registrycache.operator.DesiredState;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Constants;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** The cache DaemonSet ({@link DaemonSetModel}). */
@KubernetesDependent(informer = @Informer(namespaces = Constants.WATCH_CURRENT_NAMESPACE,
    labelSelector = DependentLabels.SELECTOR))
public class DaemonSetDependent extends RecordedDependent<DaemonSet> {
  public DaemonSetDependent() {
    super(DaemonSet.class);
  }

  @Override
  protected DaemonSet desired(RegistryCache rc, Context<RegistryCache> context) {
    DesiredState state = DesiredState.of(rc, context);
    return DaemonSetModel.desired(rc, state.operator(), state.config(), state.selection(), state.nodes());
  }

  @Override
  String change(DaemonSet before, DaemonSet after) {
    String was = configHash(before.getSpec().getTemplate().getMetadata().getAnnotations());
    String now = configHash(after.getSpec().getTemplate().getMetadata().getAnnotations());
    return differ(was, now) ? ": config hash " + was + " -> " + now + ", the cache pods roll (at most "
        + after.getSpec().getUpdateStrategy().getRollingUpdate().getMaxUnavailable().getValue() + " nodes at a time)" : "";
  }
}
