package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.RegistryCache;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.informers.cache.ReducedStateItemStore;
import io.javaoperatorsdk.operator.api.config.informer.FieldSelectorBuilder;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a RegistryCache's reconciliation reacts to besides its own dependents:
 * <ul>
 *   <li>the Secrets its registries reference, so a rotated password reaches the nodes at once:
 *       watched only in the operator's namespace and the ones it is allowed to read
 *       ({@link OperatorSettings#credentialNamespaces()}), without Helm's release Secrets and
 *       ServiceAccount tokens, which the API server leaves out of the stream; only names and
 *       resource versions are kept in memory, the data of the referenced ones is read when
 *       reconciling;
 *   <li>its cache pods, so a node that stops caching (or says why) shows in the status at once;
 *   <li>the other RegistryCaches, whose node selectors decide which nodes this one keeps;
 *   <li>the nodes, of which only labels and container runtime are kept: which runtimes the
 *       selected nodes run decides what the cache pods mount, and their architectures which
 *       nodes the image leaves out. Only a change of those wakes the RegistryCaches up.
 * </ul>
 */
public final class RelatedEventSources {
  public static final String REFERENCED_SECRETS = "referenced-secrets";
  public static final String CACHE_PODS = "cache-pods";
  public static final String OTHER_CACHES = "other-caches";
  public static final String NODES = "nodes";
  /** Secrets that never hold registry credentials, left out of the watch by the API server. */
  static final List<String> UNWATCHED_SECRET_TYPES = List.of("helm.sh/release.v1",
      "kubernetes.io/service-account-token");
  /** Index of the RegistryCaches by the Secrets they reference ({@code namespace/name}). */
  static final String SECRET_INDEX = "by-referenced-secret";
  /** The first list of every Secret of the cluster comes in pages, not as one large answer. */
  static final long SECRETS_PER_PAGE = 200;

  private RelatedEventSources() {}

  public static List<EventSource<?, RegistryCache>> of(EventSourceContext<RegistryCache> context,
      OperatorSettings settings) {
    String namespace = settings.namespace();
    var primaries = context.getPrimaryCache();
    primaries.addIndexer(SECRET_INDEX, RelatedEventSources::referencedSecretKeys);

    FieldSelectorBuilder notCredentials = new FieldSelectorBuilder();
    UNWATCHED_SECRET_TYPES.forEach(t -> notCredentials.withoutField("type", t));
    var secrets = new InformerEventSource<>(InformerEventSourceConfiguration.from(Secret.class, RegistryCache.class)
        .withName(REFERENCED_SECRETS)
        .withNamespaces(settings.credentialNamespaces())
        .withFieldSelector(notCredentials.build())
        .withInformerListLimit(SECRETS_PER_PAGE)
        .withItemStore(new ReducedStateItemStore<>(ReducedStateItemStore.NAME_KEY_STATE, Secret.class,
            context.getClient().getKubernetesSerialization(), "metadata.resourceVersion"))
        .withSecondaryToPrimaryMapper(s -> primaries.byIndex(SECRET_INDEX, key(s)).stream()
            .map(ResourceID::fromResource).collect(Collectors.toSet()))
        .withPrimaryToSecondaryMapper((RegistryCache rc) -> referencedSecretKeys(rc).stream()
            .map(k -> new ResourceID(k.substring(k.indexOf('/') + 1), k.substring(0, k.indexOf('/'))))
            .collect(Collectors.toSet()))
        .build(), context);

    var pods = new InformerEventSource<>(InformerEventSourceConfiguration.from(Pod.class, RegistryCache.class)
        .withName(CACHE_PODS)
        .withNamespaces(namespace)
        .withLabelSelector("app.kubernetes.io/managed-by=" + ResourceNames.MANAGED_BY)
        .withSecondaryToPrimaryMapper(p -> cacheOf(p))
        .build(), context);

    // a RegistryCache created, deleted or with a new spec may change which nodes the others keep
    var others = new InformerEventSource<>(InformerEventSourceConfiguration.from(RegistryCache.class,
            RegistryCache.class)
        .withName(OTHER_CACHES)
        .withWatchAllNamespaces()
        .withOnUpdateFilter((next, old) -> !Objects.equals(next.getMetadata().getGeneration(),
            old.getMetadata().getGeneration()))
        .withSecondaryToPrimaryMapper(changed -> primaries.list()
            .filter(rc -> !rc.getMetadata().getName().equals(changed.getMetadata().getName()))
            .map(ResourceID::fromResource).collect(Collectors.toSet()))
        .withPrimaryToSecondaryMapper((RegistryCache rc) -> Set.of())
        .build(), context);
    var nodes = new InformerEventSource<>(InformerEventSourceConfiguration.from(Node.class, RegistryCache.class)
        .withName(NODES)
        .withInformerListLimit(SECRETS_PER_PAGE)
        .withItemStore(new ReducedStateItemStore<>(ReducedStateItemStore.NAME_KEY_STATE, Node.class,
            context.getClient().getKubernetesSerialization(), ClusterNodes.KEPT_FIELDS))
        .withOnUpdateFilter((next, old) -> !ClusterNodes.NodeFacts.of(next).equals(ClusterNodes.NodeFacts.of(old)))
        .withSecondaryToPrimaryMapper(n -> primaries.list().map(ResourceID::fromResource).collect(Collectors.toSet()))
        .withPrimaryToSecondaryMapper((RegistryCache rc) -> Set.of())
        .build(), context);
    return List.of(secrets, pods, others, nodes);
  }

  /** What the node informer knows of the cluster's nodes. */
  static ClusterNodes nodes(Context<RegistryCache> context) {
    @SuppressWarnings("unchecked")
    var nodes = (InformerEventSource<Node, RegistryCache>) context.eventSourceRetriever()
        .getEventSourceFor(Node.class, NODES);
    return ClusterNodes.of(nodes.list().toList());
  }

  /**
   * Every RegistryCache, as the informer that tells about the others' changes sees them: a
   * reconciliation that a deletion caused no longer finds the deleted one.
   */
  static List<RegistryCache> allCaches(Context<RegistryCache> context) {
    @SuppressWarnings("unchecked")
    var others = (InformerEventSource<RegistryCache, RegistryCache>) context.eventSourceRetriever()
        .getEventSourceFor(RegistryCache.class, OTHER_CACHES);
    return others.list().toList();
  }

  /** {@code namespace/name} of every Secret the RegistryCache's registries reference. */
  static List<String> referencedSecretKeys(RegistryCache rc) {
    return rc.effectiveSpec().registries.stream()
        .map(r -> r.credentialsSecretRef)
        .filter(Objects::nonNull)
        .map(r -> r.namespace + "/" + r.name)
        .distinct().toList();
  }

  private static String key(HasMetadata o) {
    return o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
  }

  private static Set<ResourceID> cacheOf(Pod p) {
    String name = p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(ResourceNames.CACHE_LABEL);
    return name == null ? Set.of() : Set.of(new ResourceID(name));
  }
}
