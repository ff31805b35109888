package dev.registrycache.operator.dependent;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.operator.DesiredState;
import dev.registrycache.operator.ResourceNames;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Constants;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;

/**
 * The registries' passwords, copied from the referenced Secrets into the operator's namespace
 * as files the cache reads, and the token the caches share to ask each other. Exists only while
 * there is any of these.
 */
@KubernetesDependent(informer = @Informer(namespaces = Constants.WATCH_CURRENT_NAMESPACE,
    labelSelector = DependentLabels.SELECTOR))
public class CredentialsSecretDependent extends RecordedDependent<Secret> {
  public CredentialsSecretDependent() {
    super(Secret.class);
  }

  @Override
  protected Secret desired(RegistryCache rc, Context<RegistryCache> context) {
    DesiredState state = DesiredState.of(rc, context);
    var metadata = ResourceNames.metadata(rc, ResourceNames.credentialsSecret(rc), state.operator().namespace());
    if (state.peers() != null) {
      metadata.setAnnotations(Map.of(dev.registrycache.operator.PeerTokens.ROTATED_AT,
          state.peers().rotatedAt().toString()));
    }
    return new SecretBuilder()
        .withMetadata(metadata)
        .withType("Opaque")
        .withData(base64(state.config().secretData()))
        .build();
  }

  /**
   * The values as the API server stores them: {@code stringData} is turned into {@code data} on
   * every write, so applying it again would look like a change each time.
   */
  private static Map<String, String> base64(Map<String, String> values) {
    Map<String, String> out = new TreeMap<>();
    values.forEach((k, v) -> out.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
    return out;
  }

  /** Reconcile precondition: some registry has credentials (otherwise the Secret is removed). */
  public static class HasCredentials implements Condition<Secret, RegistryCache> {
    @Override
    public boolean isMet(io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource<Secret, RegistryCache> d,
        RegistryCache rc, Context<RegistryCache> context) {
      return !DesiredState.of(rc, context).config().secretData().isEmpty();
    }
  }
}
