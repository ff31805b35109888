package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.api.v1alpha1.RegistryCacheSpec;
import dev.registrycache.api.v1alpha1.PeersSpec;
import dev.registrycache.api.v1alpha1.RegistrySpec;
import dev.registrycache.api.v1alpha1.SecretReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What one reconciliation of a RegistryCache needs everywhere, computed once and shared by the
 * dependents through the reconciliation's context: the settings the operator runs with, the
 * credentials of the referenced Secrets, the cache config built from them, the node selection
 * among the other RegistryCaches and what is known of the nodes.
 */
public final class DesiredState {
  private static final String KEY = DesiredState.class.getName();
  private static volatile OperatorSettings settings;

  private final OperatorSettings operator;
  private final CacheConfigModel config;
  private final NodeSelection selection;
  private final ClusterNodes nodes;
  private final PeerTokens peers;

  private DesiredState(OperatorSettings operator, CacheConfigModel config, NodeSelection selection,
      ClusterNodes nodes, PeerTokens peers) {
    this.operator = operator;
    this.config = config;
    this.selection = selection;
    this.nodes = nodes;
    this.peers = peers;
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
      DesiredState state = compute(rc, context.getClient(), RelatedEventSources.allCaches(context),
          RelatedEventSources.nodes(context));
      shared.put(KEY, state);
      return state;
    });
  }

  static DesiredState compute(RegistryCache rc, KubernetesClient client, Collection<RegistryCache> all) {
    return compute(rc, client, all, ClusterNodes.NONE);
  }

  /**
   * @param all every RegistryCache of the cluster (for the node selection)
   * @param nodes the cluster's nodes (which runtimes the selected ones run)
   * @throws InvalidSpecException when the spec cannot be put in place as it is: a registry named
   *     twice, a Secret missing, unusable or in a namespace the operator may not read, a host path
   *     a cache has no business writing, clashing ports, a name too long for a label, or too many
   *     older RegistryCaches overlapping
   */
  static DesiredState compute(RegistryCache rc, KubernetesClient client, Collection<RegistryCache> all,
      ClusterNodes nodes) {
    OperatorSettings operator = settings();
    SpecChecks.check(rc);
    RegistryCacheSpec spec = rc.effectiveSpec();
    Map<String, RegistryCredentials> credentials = new LinkedHashMap<>();
    Set<String> names = new HashSet<>();
    for (RegistrySpec r : spec.registries) {
      if (!names.add(r.name)) {
        throw new InvalidSpecException(Conditions.INVALID_SPEC, "registry " + r.name + " is listed twice");
      }
      if (r.credentialsSecretRef != null) {
        credentials.put(r.name, credentials(client, operator, r.credentialsSecretRef, r.name, "credentials of " + r.name));
      }
    }
    RegistryCredentials proxy = spec.upstreamProxy == null || spec.upstreamProxy.credentialsSecretRef == null ? null
        : credentials(client, operator, spec.upstreamProxy.credentialsSecretRef, null, "the upstream proxy's credentials");
    PeerTokens peers = spec.peers == null || PeersSpec.DISABLED.equals(spec.peers.mode) ? null
        : PeerTokens.next(client.secrets().inNamespace(operator.namespace()).withName(ResourceNames.credentialsSecret(rc))
            .get(), Instant.now());
    return new DesiredState(operator, CacheConfigModel.of(spec, credentials, proxy, peers, ResourceNames.peerService(rc)),
        NodeSelection.of(rc, all), nodes, peers);
  }

  /**
   * @param registry the registry whose entry a dockerconfigjson Secret is read for, or {@code null}
   *     for a Secret that must have the keys username and password
   */
  private static RegistryCredentials credentials(KubernetesClient client, OperatorSettings operator,
      SecretReference ref, String registry, String what) {
    if (!operator.credentialNamespaces().contains(ref.namespace)) {
      throw new InvalidSpecException(Conditions.SECRET_NAMESPACE_NOT_ALLOWED, "Secret " + ref.namespace + "/"
          + ref.name + " (" + what + ") is in a namespace the operator does not read Secrets from; allowed: "
          + String.join(", ", operator.credentialNamespaces()) + " (the chart value credentialNamespaces adds more)");
    }
    Secret s = client.secrets().inNamespace(ref.namespace).withName(ref.name).get();
    if (s == null) {
      throw new InvalidSpecException(Conditions.SECRET_NOT_FOUND,
          "Secret " + ref.namespace + "/" + ref.name + " (" + what + ") does not exist");
    }
    try {
      return registry != null ? RegistryCredentials.from(s, registry) : RegistryCredentials.fromKeys(s);
    } catch (RegistryCredentials.InvalidSecretException e) {
      throw new InvalidSpecException(Conditions.SECRET_INVALID, e.getMessage() + " (" + what + ")");
    }
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

  public ClusterNodes nodes() {
    return nodes;
  }

  /** The caches' shared token, or {@code null} when they do not ask each other. */
  public PeerTokens peers() {
    return peers;
  }
}
