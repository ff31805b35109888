package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.api.v1alpha1.RegistryCacheStatus;
import dev.registrycache.operator.dependent.ConfigMapDependent;
import dev.registrycache.operator.dependent.CredentialsSecretDependent;
import dev.registrycache.operator.dependent.DaemonSetDependent;
import dev.registrycache.operator.dependent.ServiceAccountDependent;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
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
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a RegistryCache in place: its ServiceAccount, ConfigMap, credentials Secret and DaemonSet
 * are declared dependents; this class only writes the status (when it changed) and, on delete,
 * lets the cache pods restore their nodes before the RegistryCache goes. It also reacts to the
 * Secrets the RegistryCache references, its cache pods and the other RegistryCaches
 * ({@link RelatedEventSources}); a reconciliation at least every minute is the safety net.
 */
@ControllerConfiguration(finalizerName = ResourceNames.FINALIZER,
    maxReconciliationInterval = @MaxReconciliationInterval(interval = 60, timeUnit = TimeUnit.SECONDS))
@Workflow(dependents = {
    @Dependent(name = "service-account", type = ServiceAccountDependent.class),
    @Dependent(name = "config", type = ConfigMapDependent.class),
    @Dependent(name = "credentials", type = CredentialsSecretDependent.class,
        reconcilePrecondition = CredentialsSecretDependent.HasCredentials.class),
    @Dependent(name = "daemonset", type = DaemonSetDependent.class, dependsOn = {"service-account", "config"})
})
public class RegistryCacheReconciler implements Reconciler<RegistryCache>, Cleaner<RegistryCache> {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryCacheReconciler.class);
  /** A deleted RegistryCache is released after this even if some node never confirmed its cleanup. */
  public static final Duration CLEANUP_LIMIT = Duration.ofSeconds(DaemonSetModel.TERMINATION_GRACE_SECONDS + 60);
  private final EventRecorder events;

  public RegistryCacheReconciler(EventRecorder events) {
    this.events = events;
  }

  @Override
  public UpdateControl<RegistryCache> reconcile(RegistryCache rc, Context<RegistryCache> context) {
    DaemonSet ds = context.getSecondaryResource(DaemonSet.class).orElse(null);
    NodeSelection selection = DesiredState.of(rc, context).selection();
    RegistryCacheStatus next = StatusModel.of(rc, ds, pods(context), selection);
    if (next.equals(rc.getStatus())) {
      return UpdateControl.noUpdate();
    }
    noteTransitions(rc, next);
    RegistryCache patch = statusPatch(rc, next);
    return UpdateControl.patchStatus(patch);
  }

  @Override
  public List<EventSource<?, RegistryCache>> prepareEventSources(EventSourceContext<RegistryCache> context) {
    return RelatedEventSources.of(context, DesiredState.settings().namespace());
  }

  @Override
  public ErrorStatusUpdateControl<RegistryCache> updateErrorStatus(RegistryCache rc, Context<RegistryCache> context,
      Exception e) {
    InvalidSpecException invalid = find(e);
    if (invalid == null) {
      LOG.warn("reconciling RegistryCache {} failed: {}", rc.getMetadata().getName(), e.toString());
      return ErrorStatusUpdateControl.defaultErrorProcessing();
    }
    RegistryCacheStatus next = StatusModel.degraded(rc, invalid.reason(), invalid.getMessage());
    if (next.equals(rc.getStatus())) {
      return ErrorStatusUpdateControl.<RegistryCache>noStatusUpdate().rescheduleAfter(Duration.ofSeconds(30));
    }
    events.warning(rc, invalid.reason(), invalid.getMessage());
    return ErrorStatusUpdateControl.patchStatus(statusPatch(rc, next)).withNoRetry()
        .rescheduleAfter(Duration.ofSeconds(30));
  }

  /**
   * Deletes the DaemonSet, then waits until its pods are gone: each pod removes its node's
   * mirror entries on SIGTERM. After {@link #CLEANUP_LIMIT} the RegistryCache is released anyway
   * (a node that is gone cannot confirm).
   */
  @Override
  public DeleteControl cleanup(RegistryCache rc, Context<RegistryCache> context) {
    String ns = DesiredState.settings().namespace();
    var client = context.getClient();
    client.apps().daemonSets().inNamespace(ns).withName(ResourceNames.daemonSet(rc)).delete();
    List<Pod> left = pods(context);
    if (left.isEmpty()) {
      events.normal(rc, "NodesRestored", "every cache pod is gone: nodes restored");
      return DeleteControl.defaultDelete();
    }
    Instant since = Instant.parse(rc.getMetadata().getDeletionTimestamp());
    if (Instant.now().isAfter(since.plus(CLEANUP_LIMIT))) {
      events.warning(rc, "CleanupTimedOut", left.size() + " cache pods did not finish within " + CLEANUP_LIMIT.toSeconds()
          + " s (nodes gone?): " + left.stream().map(p -> p.getSpec().getNodeName()).toList());
      return DeleteControl.defaultDelete();
    }
    return DeleteControl.noFinalizerRemoval().rescheduleAfter(2000);
  }

  /** The RegistryCache's cache pods, from the informer of {@link RelatedEventSources#CACHE_PODS}. */
  private static List<Pod> pods(Context<RegistryCache> context) {
    return context.getSecondaryResourcesAsStream(Pod.class)
        .sorted(Comparator.comparing(p -> p.getMetadata().getName())).toList();
  }

  /** An event for every flip of Ready or Degraded (a first Degraded=False is no news). */
  private void noteTransitions(RegistryCache rc, RegistryCacheStatus next) {
    var old = rc.getStatus() == null ? null : rc.getStatus().conditions;
    for (var c : next.conditions) {
      boolean flipped = old == null || old.stream().noneMatch(o -> o.getType().equals(c.getType())
          && o.getStatus().equals(c.getStatus()) && o.getReason().equals(c.getReason()));
      boolean ready = Conditions.READY.equals(c.getType());
      boolean degraded = Conditions.DEGRADED.equals(c.getType());
      boolean isTrue = "True".equals(c.getStatus());
      if (!flipped || !(ready || degraded) || degraded && old == null && !isTrue) {
        continue;
      }
      if (ready == isTrue) {
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

  private static InvalidSpecException find(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof InvalidSpecException i) {
        return i;
      }
    }
    return null;
  }
}
