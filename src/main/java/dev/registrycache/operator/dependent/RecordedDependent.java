package dev.registrycache.operator.dependent;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.operator.EventRecorder;
import dev.registrycache.operator.ResourceNames;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import java.util.Map;
import java.util.Objects;

/**
 * A dependent whose creation and every update is recorded as an Event on its RegistryCache
 * ({@code kubectl describe regcache}). Messages name the object, never its content.
 */
abstract class RecordedDependent<R extends HasMetadata> extends CRUDKubernetesDependentResource<R, RegistryCache> {
  RecordedDependent(Class<R> type) {
    super(type);
  }

  @Override
  protected void onCreated(RegistryCache rc, R created, Context<RegistryCache> context) {
    super.onCreated(rc, created, context);
    new EventRecorder(context.getClient()).normal(rc, "Created", describe(created));
  }

  /** Recorded only when the object changed: an apply that changes nothing keeps the resource version. */
  @Override
  protected void onUpdated(RegistryCache rc, R updated, R actual, Context<RegistryCache> context) {
    super.onUpdated(rc, updated, actual, context);
    if (differ(actual.getMetadata().getResourceVersion(), updated.getMetadata().getResourceVersion())) {
      new EventRecorder(context.getClient()).normal(rc, "Updated", describe(updated) + change(actual, updated));
    }
  }

  /** What the update means beyond "changed", e.g. that the pods roll; empty by default. */
  String change(R before, R after) {
    return "";
  }

  static String describe(HasMetadata o) {
    return o.getKind() + " " + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
  }

  /** The config hash on a pod template's annotations (null when there is none). */
  static String configHash(Map<String, String> annotations) {
    return annotations == null ? null : annotations.get(ResourceNames.CONFIG_HASH);
  }

  static boolean differ(String a, String b) {
    return !Objects.equals(a, b);
  }
}
