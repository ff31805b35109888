package dev.registrycache.operator;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Condition types and reasons of a RegistryCache's status, and how they are carried over. */
public final class Conditions {
  public static final String READY = "Ready";
  public static final String PROGRESSING = "Progressing";
  public static final String DEGRADED = "Degraded";

  public static final String ALL_NODES_CACHING = "AllNodesCaching";
  public static final String NO_NODES_SELECTED = "NoNodesSelected";
  /** Ready is Unknown: the DaemonSet or its pods have not had their chance to report yet. */
  public static final String STARTING = "Starting";
  public static final String ROLLING_OUT = "RollingOut";
  public static final String UP_TO_DATE = "UpToDate";
  /** Pods of the current spec cannot start (kubelet's reason: image pull, crash loop, config). */
  public static final String ROLLOUT_STUCK = "RolloutStuck";
  public static final String PODS_NOT_SCHEDULED = "PodsNotScheduled";
  /** The DaemonSet controller could not create pods (admission, quota): its FailedCreate event. */
  public static final String PODS_NOT_CREATED = "PodsNotCreated";
  public static final String NODES_NOT_CACHING = "NodesNotCaching";
  public static final String SECRET_NOT_FOUND = "SecretNotFound";
  public static final String SECRET_INVALID = "SecretInvalid";
  /** A credentialsSecretRef names a namespace the operator may not read Secrets from. */
  public static final String SECRET_NAMESPACE_NOT_ALLOWED = "SecretNamespaceNotAllowed";
  public static final String INVALID_SPEC = "InvalidSpec";
  /** The API server refused an object the operator applies (its message says why). */
  public static final String APPLY_FAILED = "ApplyFailed";
  public static final String NODE_SELECTION_CONFLICT = "NodeSelectionConflict";
  public static final String UNSUPPORTED_ARCHITECTURE = "UnsupportedArchitecture";
  public static final String AS_EXPECTED = "AsExpected";

  private Conditions() {}

  public static Condition of(String type, boolean status, String reason, String message, long generation) {
    return of(type, status ? "True" : "False", reason, message, generation);
  }

  /** @param status {@code True}, {@code False} or {@code Unknown} */
  public static Condition of(String type, String status, String reason, String message, long generation) {
    return new ConditionBuilder().withType(type).withStatus(status).withReason(reason)
        .withMessage(message).withObservedGeneration(generation).build();
  }

  /**
   * {@code next} with each condition's {@code lastTransitionTime} taken from {@code previous}
   * when its status did not flip, and now when it did (or it is new).
   */
  public static List<Condition> carryOver(List<Condition> previous, List<Condition> next) {
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    List<Condition> out = new ArrayList<>();
    for (Condition c : next) {
      Condition old = previous == null ? null
          : previous.stream().filter(p -> c.getType().equals(p.getType())).findFirst().orElse(null);
      String since = old != null && c.getStatus().equals(old.getStatus()) && old.getLastTransitionTime() != null
          ? old.getLastTransitionTime() : now;
      out.add(new ConditionBuilder(c).withLastTransitionTime(since).build());
    }
    return out;
  }
}
