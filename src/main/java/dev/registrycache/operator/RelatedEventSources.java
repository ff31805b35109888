package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.RegistryCache;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.informers.cache.ReducedStateItemStore;
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
 *   <li>the Secrets its registries reference, in any namespace, so a rotated password reaches
 *       the nodes at once (only their names and resource versions are kept in memory: the data
 *       is read when reconciling);
 *   <li>its cache pods, so a node that stops caching (or says why) shows in the status at once;
 *   <li>the other RegistryCaches, whose node selectors decide which nodes this one keeps.
 * </ul>
 */
public final class RelatedEventSources {
  public static final String REFERENCED_SECRETS = "referenced-secrets";
  public static final String CACHE_PODS = "cache-pods";
  public static final String OTHER_CACHES = "other-caches";
  /** Index of the RegistryCaches by the Secrets they reference ({@code namespace/name}). */
  static final String SECRET_INDEX = "by-referenced-secret";
  /** The first list of every Secret of the cluster comes in pages, not as one large answer. */
  static final long SECRETS_PER_PAGE = 200;

  private RelatedEventSources() {}

  public static List<EventSource<?, RegistryCache>> of(EventSourceContext<RegistryCache> context, String namespace) {
    var primaries = context.getPrimaryCache();
    primaries.addIndexer(SECRET_INDEX, RelatedEventSources::referencedSecretKeys);

    var secrets = new InformerEventSource<>(InformerEventSourceConfiguration.from(Secret.class, RegistryCache.class)
        .withName(REFERENCED_SECRETS)
        .withWatchAllNamespaces()
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
    return List.of(secrets, pods, others);
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
