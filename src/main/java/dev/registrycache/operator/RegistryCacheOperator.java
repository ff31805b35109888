package dev.registrycache.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import dev.registrycache.operator.statistics.CacheStatisticsGatherer;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider;
import java.util.function.Consumer;

/** The JOSDK operator with the RegistryCache controller registered, built one way for the command and the tests. */
public final class RegistryCacheOperator {
  private RegistryCacheOperator() {}

  /**
   * @param lease the Lease the installations compete for; {@code null} acts at once (tests)
   * @param more further configuration (the tests turn off what their mock API server cannot do)
   */
  public static Operator create(KubernetesClient client, OperatorSettings settings, OperatorLease lease,
      Consumer<ConfigurationServiceOverrider> more) {
    return create(client, settings, lease, new SimpleMeterRegistry(), CacheStatisticsGatherer.NONE, more);
  }

  /**
   * @param metrics where JOSDK's reconciliation metrics and the operator's per-RegistryCache gauges go
   * @param statistics reads the caches' counters for the status
   */
  public static Operator create(KubernetesClient client, OperatorSettings settings, OperatorLease lease,
      MeterRegistry metrics, CacheStatisticsGatherer statistics, Consumer<ConfigurationServiceOverrider> more) {
    DesiredState.configure(settings);
    Runnable whenLeading = () -> LegacyFinalizer.removeEverywhere(client);
    if (lease == null) {
      whenLeading.run();
    }
    Operator operator = new Operator(o -> {
      o.withKubernetesClient(client).withStopOnInformerErrorDuringStartup(true)
          // JOSDK's annotation naming the process that last wrote a dependent would make every
          // restart write every DaemonSet again (and roll nothing, but count as an update)
          .withPreviousAnnotationForDependentResources(false)
          .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(metrics));
      if (lease != null) {
        o.withLeaderElectionConfiguration(lease.configuration(whenLeading));
      }
      more.accept(o);
    });
    operator.register(new RegistryCacheReconciler(new EventRecorder(client), new OperatorMetrics(metrics), statistics));
    return operator;
  }
}
