package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.CacheStatistics;
import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.api.v1alpha1.RegistryCacheStatus;
import dev.registrycache.operator.dependent.ConfigMapDependent;
import dev.registrycache.operator.statistics.CacheStatisticsGatherer;
import dev.registrycache.operator.dependent.CredentialsSecretDependent;
import dev.registrycache.operator.dependent.DaemonSetDependent;
import dev.registrycache.operator.dependent.PeerServiceDependent;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.MaxReconciliationInterval;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a RegistryCache in place: its ConfigMap, credentials Secret and DaemonSet are declared
 * dependents; this class only writes the status (when it changed). It reacts to the Secrets the
 * RegistryCache references, its cache pods, the other RegistryCaches and the nodes
 * ({@link RelatedEventSources}); a reconciliation at least every minute is the safety net.
 *
 * <p>There is no finalizer: a deleted RegistryCache's dependents are garbage collected, and each
 * cache pod restores its node when it stops, so a RegistryCache is never left Terminating by an
 * operator that is gone (uninstalled first, or down), and deleting the CRD never hangs.
 */
@ControllerConfiguration(
    maxReconciliationInterval = @MaxReconciliationInterval(interval = 60, timeUnit = TimeUnit.SECONDS))
@Workflow(dependents = {
    @Dependent(name = "config", type = ConfigMapDependent.class),
    @Dependent(name = "credentials", type = CredentialsSecretDependent.class,
        reconcilePrecondition = CredentialsSecretDependent.HasCredentials.class),
    @Dependent(name = "peers", type = PeerServiceDependent.class,
        reconcilePrecondition = PeerServiceDependent.PeersOn.class),
    @Dependent(name = "daemonset", type = DaemonSetDependent.class, dependsOn = {"config"})
})
public class RegistryCacheReconciler implements Reconciler<RegistryCache> {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryCacheReconciler.class);
  /** How old a FailedCreate event may be and still say that pods cannot be created. */
  static final Duration FAILED_CREATE_WINDOW = Duration.ofMinutes(20);
  private final EventRecorder events;
  private final OperatorMetrics metrics;
  private final CacheStatisticsGatherer statistics;

  public RegistryCacheReconciler(EventRecorder events, OperatorMetrics metrics, CacheStatisticsGatherer statistics) {
    this.events = events;
    this.metrics = metrics;
    this.statistics = statistics;
  }

  @Override
  public UpdateControl<RegistryCache> reconcile(RegistryCache rc, Context<RegistryCache> context) {
    LegacyFinalizer.remove(context.getClient(), rc);
    DaemonSet ds = context.getSecondaryResource(DaemonSet.class).orElse(null);
    DesiredState state = DesiredState.of(rc, context);
    List<Pod> pods = pods(context);
    RegistryCacheStatus next = StatusModel.of(rc, ds, pods, state.selection(),
        StatusModel.Cluster.of(state, rc, () -> failedCreate(context, rc, ds, pods)));
    String name = rc.getMetadata().getName();
    metrics.nodes(name, next.desiredNodes, next.readyNodes);
    Set<String> existing = RelatedEventSources.allCaches(context).stream().map(c -> c.getMetadata().getName())
        .collect(Collectors.toSet());
    existing.add(name);
    metrics.keepOnly(existing);
    statistics.keepOnly(existing);
    statistics.track(name, StatisticsTargets.of(rc, pods));
    // until the caches were read (a minute after the operator started), what the status said stays
    CacheStatistics gathered = statistics.summary(name);
    next.statistics = gathered != null ? gathered : rc.getStatus() == null ? null : rc.getStatus().statistics;
    if (next.equals(rc.getStatus())) {
      return UpdateControl.noUpdate();
    }
    noteTransitions(rc, next);
    RegistryCache patch = statusPatch(rc, next);
    return UpdateControl.patchStatus(patch);
  }

  @Override
  public List<EventSource<?, RegistryCache>> prepareEventSources(EventSourceContext<RegistryCache> context) {
    return RelatedEventSources.of(context, DesiredState.settings());
  }

  @Override
  public ErrorStatusUpdateControl<RegistryCache> updateErrorStatus(RegistryCache rc, Context<RegistryCache> context,
      Exception e) {
    InvalidSpecException invalid = find(e);
    if (invalid == null) {
      KubernetesClientException refused = refusal(e);
      LOG.warn("reconciling RegistryCache {} failed: {}", rc.getMetadata().getName(), e.toString());
      if (refused == null) {
        return ErrorStatusUpdateControl.defaultErrorProcessing();
      }
      // the API server refused an object: say so in its words, and keep trying (it may be transient)
      RegistryCacheStatus next = StatusModel.degraded(rc, Conditions.APPLY_FAILED, describe(refused));
      if (next.equals(rc.getStatus())) {
        return ErrorStatusUpdateControl.defaultErrorProcessing();
      }
      events.warning(rc, Conditions.APPLY_FAILED, describe(refused));
      return ErrorStatusUpdateControl.patchStatus(statusPatch(rc, next));
    }
    RegistryCacheStatus next = StatusModel.degraded(rc, invalid.reason(), invalid.getMessage());
    if (next.equals(rc.getStatus())) {
      return ErrorStatusUpdateControl.<RegistryCache>noStatusUpdate().rescheduleAfter(Duration.ofSeconds(30));
    }
    events.warning(rc, invalid.reason(), invalid.getMessage());
    return ErrorStatusUpdateControl.patchStatus(statusPatch(rc, next)).withNoRetry()
        .rescheduleAfter(Duration.ofSeconds(30));
  }

  /** The RegistryCache's cache pods, from the informer of {@link RelatedEventSources#CACHE_PODS}. */
  private static List<Pod> pods(Context<RegistryCache> context) {
    return context.getSecondaryResourcesAsStream(Pod.class)
        .sorted(Comparator.comparing(p -> p.getMetadata().getName())).toList();
  }

  /**
   * An event for every flip of Ready or Degraded: a Warning only for a real problem (Ready False,
   * Degraded True), nothing while Ready is Unknown (starting), and a first Degraded=False is no news.
   */
  private void noteTransitions(RegistryCache rc, RegistryCacheStatus next) {
    var old = rc.getStatus() == null ? null : rc.getStatus().conditions;
    for (var c : next.conditions) {
      boolean flipped = old == null || old.stream().noneMatch(o -> o.getType().equals(c.getType())
          && o.getStatus().equals(c.getStatus()) && o.getReason().equals(c.getReason()));
      boolean ready = Conditions.READY.equals(c.getType());
      boolean degraded = Conditions.DEGRADED.equals(c.getType());
      if (!flipped || !(ready || degraded) || "Unknown".equals(c.getStatus())
          || degraded && old == null && "False".equals(c.getStatus())) {
        continue;
      }
      boolean good = ready == "True".equals(c.getStatus());
      if (good) {
        events.normal(rc, c.getReason(), c.getMessage());
      } else {
        events.warning(rc, c.getReason(), c.getMessage());
      }
    }
  }

  private static RegistryCache statusPatch(RegistryCache rc, RegistryCacheStatus status) {
    RegistryCache patch = new RegistryCache();
    patch.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
        .withName(rc.getMetadata().getName()).withResourceVersion(rc.getMetadata().getResourceVersion()).build());
    patch.setSpec(null);
    patch.setStatus(status);
    return patch;
  }

  /**
   * The DaemonSet controller's last {@code FailedCreate} event (admission or a quota refused its
   * pods), read only while pods are missing: fewer than it wants, or none while its status is
   * not current (the 1.20 controller does not update the status while creating fails). Events
   * older than {@link #FAILED_CREATE_WINDOW} do not count: the controller retries with a backoff
   * of up to about 17 minutes, and each retry refreshes the event.
   */
  private static String failedCreate(Context<RegistryCache> context, RegistryCache rc, DaemonSet ds, List<Pod> pods) {
    if (ds == null) {
      return null;
    }
    var s = ds.getStatus();
    boolean current = s != null && s.getObservedGeneration() != null
        && s.getObservedGeneration() >= (ds.getMetadata().getGeneration() == null ? 0 : ds.getMetadata().getGeneration());
    int desired = s == null || s.getDesiredNumberScheduled() == null ? 0 : s.getDesiredNumberScheduled();
    if (current ? pods.size() >= desired : !pods.isEmpty()) {
      return null;
    }
    Instant since = Instant.now().minus(FAILED_CREATE_WINDOW);
    try {
      return context.getClient().v1().events().inNamespace(ds.getMetadata().getNamespace())
          .withField("involvedObject.name", ds.getMetadata().getName())
          .withField("involvedObject.kind", "DaemonSet")
          .withField("reason", "FailedCreate").list().getItems().stream()
          .filter(ev -> ds.getMetadata().getUid() == null || ds.getMetadata().getUid().equals(ev.getInvolvedObject().getUid()))
          .filter(ev -> ev.getLastTimestamp() != null && Instant.parse(ev.getLastTimestamp()).isAfter(since))
          .max(Comparator.comparing(ev -> Instant.parse(ev.getLastTimestamp())))
          .map(ev -> ev.getMessage()).orElse(null);
    } catch (KubernetesClientException e) {
      LOG.warn("cannot read the events of DaemonSet {}: {}", ds.getMetadata().getName(), e.getMessage());
      return null;
    }
  }

  private static KubernetesClientException refusal(Throwable t) {
    return causes(t).filter(c -> c instanceof KubernetesClientException k && k.getCode() >= 400 && k.getCode() < 500
        && k.getCode() != 409 && k.getCode() != 429).map(KubernetesClientException.class::cast).findFirst().orElse(null);
  }

  /** Every cause of {@code t}, those of a failed workflow's dependents (an aggregate) included. */
  private static java.util.stream.Stream<Throwable> causes(Throwable t) {
    java.util.stream.Stream.Builder<Throwable> all = java.util.stream.Stream.builder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      all.add(c);
      if (c instanceof AggregatedOperatorException a) {
        a.getAggregatedExceptions().values().forEach(e -> causes(e).forEach(all::add));
      }
    }
    return all.build();
  }

  /** The API server's own message (which names the object and the field), else the client's. */
  private static String describe(KubernetesClientException e) {
    String m = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage();
    return "the API server refused an object: " + m;
  }

  private static InvalidSpecException find(Throwable t) {
    return causes(t).filter(InvalidSpecException.class::isInstance).map(InvalidSpecException.class::cast)
        .findFirst().orElse(null);
  }
}
