package dev.registrycache.operator;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The operator's own image, read from its pod: the image the caches run unless told otherwise.
 * So whatever names the operator's image (Helm's {@code image.*}, a kustomization's
 * {@code images:}, an edit of the Deployment) names the caches' too, with no second place to
 * keep in step.
 */
public final class OwnImage {
  static final String CONTAINER = "operator";

  private OwnImage() {}

  /** @throws IllegalStateException when the pod is not named or not found: the image must then be given */
  public static String of(KubernetesClient client, String namespace, String podName) {
    if (podName == null || podName.isBlank()) {
      throw new IllegalStateException("no cache image: give --image (REGISTRY_CACHE_IMAGE), or --pod-name "
          + "(REGISTRY_CACHE_POD_NAME) to use the operator's own");
    }
    Pod pod = client.pods().inNamespace(namespace).withName(podName).get();
    if (pod == null) {
      throw new IllegalStateException("no cache image: the operator's pod " + namespace + "/" + podName
          + " was not found; give --image (REGISTRY_CACHE_IMAGE)");
    }
    return pod.getSpec().getContainers().stream().filter(c -> CONTAINER.equals(c.getName())).findFirst()
        .or(() -> pod.getSpec().getContainers().stream().findFirst()).map(Container::getImage)
        .orElseThrow(() -> new IllegalStateException("the operator's pod has no container"));
  }
}
