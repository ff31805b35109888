package dev.registrycache.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Run by a cache pod: writes {@link NodeConfiguredCondition} into its own pod's status whenever
 * the node's configuration changes (and again after a failed write). Needs {@code patch} on
 * {@code pods/status} in its namespace; without it, or without a way to the API server, it logs
 * once per kind of failure and the cache runs on.
 */
public final class PodConditionReporter {
  private static final Logger LOG = LoggerFactory.getLogger(PodConditionReporter.class);
  private final Supplier<KubernetesClient> clients;
  private final String namespace;
  private final String pod;
  private KubernetesClient client;
  private Boolean lastConfigured;
  private String lastMessage;
  private String since;
  private boolean reported;
  private String lastFailure;

  /** @param clients made on first use (in a pod: the mounted ServiceAccount token) */
  public PodConditionReporter(Supplier<KubernetesClient> clients, String namespace, String pod) {
    this.clients = clients;
    this.namespace = Objects.requireNonNull(namespace);
    this.pod = Objects.requireNonNull(pod);
  }

  /** Writes the condition if it changed since the last successful write. Never throws. */
  public synchronized void report(boolean configured, String message) {
    if (reported && Objects.equals(lastConfigured, configured) && Objects.equals(lastMessage, message)) {
      return;
    }
    if (since == null || !Objects.equals(lastConfigured, configured)) {
      since = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }
    lastConfigured = configured;
    lastMessage = message;
    try {
      if (client == null) {
        client = clients.get();
      }
      client.pods().inNamespace(namespace).withName(pod).subresource("status")
          .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), client.getKubernetesSerialization().asJson(
              NodeConfiguredCondition.statusPatch(NodeConfiguredCondition.of(configured, message, since))));
      reported = true;
      lastFailure = null;
    } catch (RuntimeException e) { // it runs on the re-apply schedule, which an exception would end
      reported = false;
      String failure = e.getClass().getSimpleName() + (e instanceof KubernetesClientException k ? " " + k.getCode() : "");
      if (!failure.equals(lastFailure)) {
        LOG.warn("cannot write the node's state into pod {}/{} ({}); the operator sees only that the pod is not"
            + " ready: {}", namespace, pod, failure, e.getMessage());
        lastFailure = failure;
      }
    }
  }
}
