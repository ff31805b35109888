package dev.registrycache.metrics;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.function.Supplier;

/**
 * The API server decides, as for controller-runtime's and kubelet's metrics: a {@code TokenReview}
 * says who the token belongs to, a {@code SubjectAccessReview} whether that user may {@code get}
 * the non-resource URL {@code /metrics} (a ClusterRole with {@code nonResourceURLs: [/metrics]}).
 * Its ServiceAccount needs {@code create} on {@code tokenreviews} and {@code subjectaccessreviews}.
 */
public final class KubernetesAccessReviewer implements AccessReviewer {
  public static final String PATH = "/metrics";
  public static final String VERB = "get";
  private final Supplier<KubernetesClient> client;
  private volatile KubernetesClient made;

  /** @param client made on the first review (the cache starts without the API server) */
  public KubernetesAccessReviewer(Supplier<KubernetesClient> client) {
    this.client = client;
  }

  private KubernetesClient client() {
    KubernetesClient c = made;
    if (c == null) {
      synchronized (this) {
        if (made == null) {
          made = client.get();
        }
        c = made;
      }
    }
    return c;
  }

  @Override
  public AccessDecision review(String token) {
    TokenReview answer = client().authentication().v1().tokenReviews().create(new TokenReviewBuilder()
        .withNewSpec().withToken(token).endSpec().build());
    if (answer.getStatus() == null || !Boolean.TRUE.equals(answer.getStatus().getAuthenticated())
        || answer.getStatus().getUser() == null) {
      return AccessDecision.UNAUTHENTICATED;
    }
    UserInfo user = answer.getStatus().getUser();
    SubjectAccessReview sar = client().authorization().v1().subjectAccessReview().create(
        new SubjectAccessReviewBuilder().withNewSpec()
            .withUser(user.getUsername()).withUid(user.getUid()).withGroups(user.getGroups()).withExtra(user.getExtra())
            .withNewNonResourceAttributes().withPath(PATH).withVerb(VERB).endNonResourceAttributes()
            .endSpec().build());
    return sar.getStatus() != null && Boolean.TRUE.equals(sar.getStatus().getAllowed())
        ? AccessDecision.ALLOWED : AccessDecision.FORBIDDEN;
  }
}
