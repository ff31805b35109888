package dev.registrycache.peer;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ready caches of a RegistryCache, from the EndpointSlices of its headless Service, kept up to
 * date by a watch: the same data kube-proxy watches for a Service, a few hundred bytes a node, a
 * change only when a cache becomes ready or stops. {@code discovery.k8s.io/v1} where the cluster
 * serves it (Kubernetes 1.21 and later), {@code v1beta1} otherwise.
 */
public final class EndpointSliceWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EndpointSliceWatch.class);
  static final String SERVICE_LABEL = "kubernetes.io/service-name";

  private final KubernetesClient client;
  private final SharedIndexInformer<?> informer;

  public EndpointSliceWatch(KubernetesClient client, String namespace, String service, String portName,
      Consumer<List<Peer>> to) {
    this.client = client;
    SharedIndexInformer<?> i;
    if (servesV1(client, namespace, service)) {
      var inf = client.discovery().v1().endpointSlices().inNamespace(namespace).withLabel(SERVICE_LABEL, service)
          .inform();
      inf.addEventHandler(refresh(() -> to.accept(PeerSlices.fromV1(inf.getStore().list(), portName))));
      i = inf;
    } else {
      var inf = client.discovery().v1beta1().endpointSlices().inNamespace(namespace).withLabel(SERVICE_LABEL, service)
          .inform();
      inf.addEventHandler(refresh(() -> to.accept(PeerSlices.fromV1beta1(inf.getStore().list(), portName))));
      i = inf;
    }
    informer = i;
    LOG.info("peers: watching the EndpointSlices of Service {}/{}", namespace, service);
  }

  private static boolean servesV1(KubernetesClient client, String namespace, String service) {
    try {
      client.discovery().v1().endpointSlices().inNamespace(namespace).withLabel(SERVICE_LABEL, service).list();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  private static <T> ResourceEventHandler<T> refresh(Runnable r) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        r.run();
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        r.run();
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        r.run();
      }
    };
  }

  @Override
  public void close() {
    informer.close();
    client.close();
  }
}
