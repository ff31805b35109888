package dev.registrycache.k8s;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Prometheus's Kubernetes service discovery, role {@code pod}, for a Prometheus built without
 * it (Debian's 2.42 leaves discovery/kubernetes out): lists a namespace's pods from the API
 * server, with the client it is given (Prometheus's own ServiceAccount, so its RBAC is what is
 * tested), and serves them as Prometheus HTTP service discovery (one target per container port)
 * with the {@code __meta_kubernetes_pod_*} labels kubernetes_sd_configs gives, so that the
 * relabelling of docs/examples/prometheus.yml applies unchanged. On 127.0.0.1 only.
 */
final class PodDiscovery implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpServer server;

  PodDiscovery(KubernetesClient client, String namespace) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.createContext("/pods", ex -> {
      byte[] body;
      int status = 200;
      try {
        body = JSON.writeValueAsBytes(targets(client, namespace));
      } catch (RuntimeException e) {
        status = 500;
        body = e.toString().getBytes(StandardCharsets.UTF_8);
      }
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(status, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/pods";
  }

  static ArrayNode targets(KubernetesClient client, String namespace) {
    ArrayNode groups = JSON.createArrayNode();
    for (Pod p : client.pods().inNamespace(namespace).list().getItems()) {
      String ip = p.getStatus() == null ? null : p.getStatus().getPodIP();
      if (ip == null || ip.isEmpty()) {
        continue;
      }
      for (Container c : p.getSpec().getContainers()) {
        for (ContainerPort port : c.getPorts() == null ? java.util.List.<ContainerPort>of() : c.getPorts()) {
          ObjectNode g = groups.addObject();
          g.putArray("targets").add((ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port.getContainerPort());
          ObjectNode l = g.putObject("labels");
          l.put("__meta_kubernetes_namespace", namespace);
          l.put("__meta_kubernetes_pod_name", p.getMetadata().getName());
          l.put("__meta_kubernetes_pod_uid", p.getMetadata().getUid());
          l.put("__meta_kubernetes_pod_ip", ip);
          l.put("__meta_kubernetes_pod_node_name", p.getSpec().getNodeName());
          l.put("__meta_kubernetes_pod_host_ip", p.getStatus().getHostIP());
          l.put("__meta_kubernetes_pod_phase", p.getStatus().getPhase());
          l.put("__meta_kubernetes_pod_container_name", c.getName());
          l.put("__meta_kubernetes_pod_container_port_name", port.getName() == null ? "" : port.getName());
          l.put("__meta_kubernetes_pod_container_port_number", String.valueOf(port.getContainerPort()));
          l.put("__meta_kubernetes_pod_container_port_protocol", port.getProtocol());
          for (Map.Entry<String, String> e : p.getMetadata().getLabels().entrySet()) {
            l.put("__meta_kubernetes_pod_label_" + sanitize(e.getKey()), e.getValue());
            l.put("__meta_kubernetes_pod_labelpresent_" + sanitize(e.getKey()), "true");
          }
        }
      }
    }
    return groups;
  }

  /** As Prometheus makes label names of Kubernetes label keys. */
  static String sanitize(String key) {
    return key.replaceAll("[^a-zA-Z0-9_]", "_");
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
