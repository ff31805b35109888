package dev.registrycache.operator.statistics;

import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A short-lived token of the ServiceAccount that may only read {@code /metrics} (the chart's
 * {@code <release>-metrics-reader}), asked for with the TokenRequest API and renewed before it
 * expires. The operator never sends its own token to the nodes: a node that is not what it seems
 * gets a token that reads metrics for ten minutes, nothing more.
 */
public final class ReaderToken implements Supplier<String> {
  private static final Logger LOG = LoggerFactory.getLogger(ReaderToken.class);
  /** The shortest lifetime the API server grants. */
  static final long LIFETIME_SECONDS = 600;

  private final KubernetesClient client;
  private final String namespace;
  private final String serviceAccount;
  private String token;
  private Instant renewAt = Instant.MIN;

  public ReaderToken(KubernetesClient client, String namespace, String serviceAccount) {
    this.client = client;
    this.namespace = namespace;
    this.serviceAccount = serviceAccount;
  }

  @Override
  public synchronized String get() {
    Instant now = Instant.now();
    if (token == null || now.isAfter(renewAt)) {
      try {
        TokenRequest r = client.serviceAccounts().inNamespace(namespace).withName(serviceAccount).tokenRequest(
            new TokenRequestBuilder().withNewSpec().withExpirationSeconds(LIFETIME_SECONDS).endSpec().build());
        token = r.getStatus().getToken();
        Instant expires = r.getStatus().getExpirationTimestamp() != null
            ? Instant.parse(r.getStatus().getExpirationTimestamp()) : now.plusSeconds(LIFETIME_SECONDS);
        renewAt = now.plus(Duration.between(now, expires).multipliedBy(4).dividedBy(5));
      } catch (KubernetesClientException | IllegalArgumentException | java.time.format.DateTimeParseException e) {
        LOG.warn("cannot get a token of ServiceAccount {}/{} to read the caches' metrics: {}", namespace,
            serviceAccount, e.getMessage());
        return token != null && now.isBefore(renewAt.plusSeconds(LIFETIME_SECONDS / 5)) ? token : null;
      }
    }
    return token;
  }
}
