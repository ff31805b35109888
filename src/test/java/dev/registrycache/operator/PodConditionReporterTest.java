package dev.registrycache.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The cache pod's report of its node: a strategic merge patch of its own pod's status, written
 * when the state changes and again after a failed write. The mock server answers as told (its
 * CRUD mode has no strategic merge); that the API server merges the condition with kubelet's and
 * that the chart's RBAC allows it is OperatorIT's.
 */
@EnableKubernetesMockClient
class PodConditionReporterTest {
  KubernetesClient client;
  KubernetesMockServer server;

  private List<RecordedRequest> patches() throws InterruptedException {
    List<RecordedRequest> out = new ArrayList<>();
    for (RecordedRequest r; (r = server.takeRequest(10, TimeUnit.MILLISECONDS)) != null; ) {
      if (r.getMethod().equals("PATCH")) {
        out.add(r);
      }
    }
    return out;
  }

  @Test
  void writesOnChangeOnlyAsAStrategicMergeOfTheStatus() throws Exception {
    Pod pod = new PodBuilder().withNewMetadata().withName("cache-1").withNamespace("rc").endMetadata().build();
    server.expect().get().withPath("/api/v1/namespaces/rc/pods/cache-1").andReturn(200, pod).always();
    server.expect().patch().withPath("/api/v1/namespaces/rc/pods/cache-1/status").andReturn(200, pod).always();
    PodConditionReporter r = new PodConditionReporter(() -> client, "rc", "cache-1");
    patches();

    r.report(false, "node cannot be configured: no config_path");
    r.report(false, "node cannot be configured: no config_path");
    List<RecordedRequest> first = patches();
    assertEquals(1, first.size(), "the same state is written once");
    RecordedRequest p = first.get(0);
    assertEquals("/api/v1/namespaces/rc/pods/cache-1/status", p.getPath());
    assertTrue(p.getHeader("Content-Type").startsWith("application/strategic-merge-patch+json"), p.getHeader("Content-Type"));
    String body = p.getBody().readUtf8();
    assertTrue(body.contains("\"type\":\"registrycache.dev/NodeConfigured\"") && body.contains("\"status\":\"False\"")
        && body.contains("no config_path") && body.contains("\"reason\":\"NodeNotConfigurable\""), body);

    r.report(true, "mirror entries in place");
    List<RecordedRequest> second = patches();
    assertEquals(1, second.size());
    assertTrue(second.get(0).getBody().readUtf8().contains("\"reason\":\"MirrorEntriesInPlace\""));
  }

  @Test
  void aFailedWriteIsTriedAgainAndNeverThrows() throws Exception {
    Pod pod = new PodBuilder().withNewMetadata().withName("cache-2").withNamespace("rc").endMetadata().build();
    server.expect().get().withPath("/api/v1/namespaces/rc/pods/cache-2").andReturn(200, pod).always();
    server.expect().patch().withPath("/api/v1/namespaces/rc/pods/cache-2/status").andReturn(403, "forbidden").times(1);
    server.expect().patch().withPath("/api/v1/namespaces/rc/pods/cache-2/status").andReturn(200, pod).always();
    PodConditionReporter r = new PodConditionReporter(() -> client, "rc", "cache-2");
    r.report(false, "x");
    r.report(false, "x");
    r.report(false, "x");
    assertEquals(2, patches().size(), "refused once: the same state is tried again, then not any more");
    PodConditionReporter noClient = new PodConditionReporter(() -> {
      throw new IllegalStateException("no service account token");
    }, "rc", "p");
    noClient.report(true, "fine"); // logged, not thrown: it runs on the node re-apply schedule
  }
}
