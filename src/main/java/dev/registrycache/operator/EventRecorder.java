package dev.registrycache.operator;

import dev.registrycache.api.v1alpha1.RegistryCache;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events about a RegistryCache (core/v1; a cluster-scoped object's events live in the
 * {@code default} namespace, where kubectl looks for them), so that
 * {@code kubectl describe regcache} and {@code kubectl get events} show what the operator did
 * and found. Messages never contain credentials. A failure to record is logged, not fatal.
 */
public class EventRecorder {
  private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
  private final KubernetesClient client;
  private final String namespace;

  /** Where events about cluster-scoped objects must be. */
  public static final String EVENTS_NAMESPACE = "default";

  public EventRecorder(KubernetesClient client) {
    this.client = client;
    this.namespace = EVENTS_NAMESPACE;
  }

  public void normal(RegistryCache rc, String reason, String message) {
    record(rc, "Normal", reason, message);
  }

  public void warning(RegistryCache rc, String reason, String message) {
    record(rc, "Warning", reason, message);
  }

  private void record(RegistryCache rc, String type, String reason, String message) {
    LOG.info("RegistryCache {}: {} {}: {}", rc.getMetadata().getName(), type, reason, message);
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    try {
      client.v1().events().inNamespace(namespace).resource(new EventBuilder()
          .withNewMetadata()
            .withName(rc.getMetadata().getName() + "." + UUID.randomUUID().toString().substring(0, 8))
            .withNamespace(namespace)
          .endMetadata()
          .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion(rc.getApiVersion()).withKind(rc.getKind())
              .withName(rc.getMetadata().getName()).withUid(rc.getMetadata().getUid()).build())
          .withType(type).withReason(reason)
          .withMessage(message.length() > 1000 ? message.substring(0, 1000) : message)
          .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
          .withNewSource().withComponent(ResourceNames.MANAGED_BY).endSource()
          .build()).create();
    } catch (KubernetesClientException e) {
      LOG.warn("could not record event {} for RegistryCache {}: {}", reason, rc.getMetadata().getName(), e.getMessage());
    }
  }
}
