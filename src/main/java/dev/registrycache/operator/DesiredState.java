package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.api.v1alpha1.RegistrySpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What one reconciliation of a RegistryCache needs everywhere, computed once and shared by the
 * dependents through the reconciliation's context: the settings the operator runs with, the
 * credentials of the referenced Secrets, and the cache config built from them.
 */
public final class DesiredState {
  private static final String KEY = DesiredState.class.getName();
  private static volatile OperatorSettings settings;

  private final OperatorSettings operator;
  private final CacheConfigModel config;
  private final NodeSelection selection;

  private DesiredState(OperatorSettings operator, CacheConfigModel config, NodeSelection selection) {
    this.operator = operator;
    this.config = config;
    this.selection = selection;
  }

  /** Set once when the operator starts (dependents are created by the framework). */
  public static void configure(OperatorSettings s) {
    settings = s;
  }

  public static OperatorSettings settings() {
    OperatorSettings s = settings;
    if (s == null) {
      throw new IllegalStateException("operator settings not configured");
    }
    return s;
  }

  public static DesiredState of(RegistryCache rc, Context<RegistryCache> context) {
    var shared = context.managedWorkflowAndDependentResourceContext();
    return shared.get(KEY, DesiredState.class).orElseGet(() -> {
      DesiredState state = compute(rc, context.getClient(), RelatedEventSources.allCaches(context));
      shared.put(KEY, state);
      return state;
    });
  }

  /**
   * @param all every RegistryCache of the cluster (for the node selection)
   * @throws InvalidSpecException when a registry is named twice, a Secret is missing or unusable,
   *     or too many older RegistryCaches overlap
   */
  static DesiredState compute(RegistryCache rc, KubernetesClient client, Collection<RegistryCache> all) {
    Map<String, RegistryCredentials> credentials = new LinkedHashMap<>();
    Set<String> names = new HashSet<>();
    for (RegistrySpec r : rc.effectiveSpec().registries) {
      if (!names.add(r.name)) {
        throw new InvalidSpecException(Conditions.INVALID_SPEC, "registry " + r.name + " is listed twice");
      }
      if (r.credentialsSecretRef == null) {
        continue;
      }
      String ns = r.credentialsSecretRef.namespace;
      String name = r.credentialsSecretRef.name;
      Secret s = client.secrets().inNamespace(ns).withName(name).get();
      if (s == null) {
        throw new InvalidSpecException(Conditions.SECRET_NOT_FOUND,
            "Secret " + ns + "/" + name + " (credentials of " + r.name + ") does not exist");
      }
      try {
        credentials.put(r.name, RegistryCredentials.from(s, r.name));
      } catch (RegistryCredentials.InvalidSecretException e) {
        throw new InvalidSpecException(Conditions.SECRET_INVALID, e.getMessage() + " (credentials of " + r.name + ")");
      }
    }
    return new DesiredState(settings(), CacheConfigModel.of(rc.effectiveSpec(), credentials), NodeSelection.of(rc, all));
  }

  public OperatorSettings operator() {
    return operator;
  }

  public CacheConfigModel config() {
    return config;
  }

  public NodeSelection selection() {
    return selection;
  }
}
