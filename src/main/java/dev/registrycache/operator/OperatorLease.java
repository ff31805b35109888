package dev.registrycache.operator;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one Lease every installation of the operator competes for, whatever its namespace: the
 * RegistryCaches are cluster-scoped, so two installations must never both act on them. The
 * holder reconciles; another replica of the same installation stands by (and is ready, so a
 * Deployment rollout is not held up); an operator of another installation stands by, is not
 * ready, and says who holds the Lease. The Lease lives in {@code default}, beside the events
 * about RegistryCaches, because every cluster has that namespace. Identities are
 * {@code namespace/pod}.
 */
public final class OperatorLease {
  public static final String NAME = "registry-cache-operator";
  public static final String NAMESPACE = EventRecorder.EVENTS_NAMESPACE;
  private static final Logger LOG = LoggerFactory.getLogger(OperatorLease.class);

  private final String namespace;
  private final String identity;
  private volatile String leader;

  /** @param namespace this installation's namespace; @param identity {@code namespace/pod} */
  public OperatorLease(String namespace, String identity) {
    this.namespace = namespace;
    this.identity = identity;
  }

  /** @param whenLeading runs once this operator holds the Lease, before it reconciles */
  LeaderElectionConfiguration configuration(Runnable whenLeading) {
    LeaderCallbacks callbacks = new LeaderCallbacks(
        () -> {
          LOG.info("holding the Lease {}/{}: reconciling RegistryCaches", NAMESPACE, NAME);
          whenLeading.run();
        },
        () -> LOG.info("lost the Lease {}/{}", NAMESPACE, NAME),
        this::newLeader);
    return new LeaderElectionConfiguration(NAME, NAMESPACE, Duration.ofSeconds(15), Duration.ofSeconds(10),
        Duration.ofSeconds(2), identity, callbacks, true);
  }

  private void newLeader(String holder) {
    leader = holder;
    String elsewhere = heldElsewhere();
    if (elsewhere != null) {
      LOG.warn("{}; this operator (namespace {}) does nothing until that one goes", elsewhere, namespace);
    }
  }

  /** Why this operator stands by, when another installation holds the Lease; {@code null} otherwise. */
  public String heldElsewhere() {
    String holder = leader;
    if (holder == null || holder.equals(identity)) {
      return null;
    }
    int slash = holder.indexOf('/');
    String holderNamespace = slash < 0 ? "" : holder.substring(0, slash);
    return holderNamespace.equals(namespace) ? null
        : "another installation of the operator (" + holder + ") holds the Lease " + NAMESPACE + "/" + NAME
            + " and reconciles every RegistryCache";
  }
}
