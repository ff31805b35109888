package dev.registrycache.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ConfigurationServiceOverrider;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.util.function.Consumer;

/** The JOSDK operator with the RegistryCache controller registered, built one way for the command and the tests. */
public final class RegistryCacheOperator {
  public static final String LEASE = "registry-cache-operator";

  private RegistryCacheOperator() {}

  /** @param more further configuration (the tests turn off what their mock API server cannot do) */
  public static Operator create(KubernetesClient client, OperatorSettings settings, boolean leaderElection,
      Consumer<ConfigurationServiceOverrider> more) {
    DesiredState.configure(settings);
    Operator operator = new Operator(o -> {
      o.withKubernetesClient(client).withStopOnInformerErrorDuringStartup(true);
      if (leaderElection) {
        o.withLeaderElectionConfiguration(new LeaderElectionConfiguration(LEASE, settings.namespace()));
      }
      more.accept(o);
    });
    operator.register(new RegistryCacheReconciler(new EventRecorder(client)));
    return operator;
  }
}
