package dev.registrycache.chart;

import static dev.registrycache.chart.ChartRendering.env;
import static dev.registrycache.chart.ChartRendering.find;
import static dev.registrycache.chart.ChartRendering.objects;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The chart, rendered by real Helm: lint, defaults, every optional block, the values schema. */
class ChartTest {
  @Test
  void lintsStrictly() {
    LintResult r = new Helm(ChartRendering.CHART).lint().strict().call();
    assertFalse(r.isFailed(), String.join("\n", r.getMessages()));
  }

  @Test
  void defaultsAreAnOperatorDeploymentAndItsServiceAccountOnly() throws Exception {
    List<ObjectNode> objs = objects(Map.of());
    List<String> kinds = objs.stream().map(o -> o.path("kind").asText()).toList();
    assertFalse(kinds.contains("RegistryCache"), kinds.toString());
    assertFalse(kinds.contains("ServiceMonitor"), kinds.toString());
    // Helm's template leaves hooks out: the uninstall hook runs on a real kubelet node (NodeE2EIT)

    ObjectNode deploy = find(objs, "Deployment", "registry-cache");
    JsonNode spec = deploy.path("spec");
    assertEquals(1, spec.path("replicas").asInt());
    assertEquals("Recreate", spec.path("strategy").path("type").asText());
    JsonNode pod = spec.path("template").path("spec");
    assertFalse(pod.path("hostNetwork").asBoolean(false));
    assertEquals("registry-cache", pod.path("serviceAccountName").asText());
    assertTrue(pod.path("securityContext").path("runAsNonRoot").asBoolean());
    assertEquals("linux", pod.path("nodeSelector").path("kubernetes.io/os").asText());
    JsonNode c = pod.path("containers").get(0);
    assertEquals("ghcr.io/registry-cache/registry-cache:0.1.0", c.path("image").asText());
    assertEquals("operator", c.path("args").get(0).asText());
    assertEquals(null, env(c, "REGISTRY_CACHE_IMAGE"), "the caches run the operator's own image, read from its pod");
    assertEquals("metadata.name", envField(c, "REGISTRY_CACHE_POD_NAME"));
    assertEquals("registry-cache-node", env(c, "REGISTRY_CACHE_NODE_SERVICE_ACCOUNT"));
    assertEquals("", env(c, "REGISTRY_CACHE_CREDENTIAL_NAMESPACES"));
    assertEquals("amd64", env(c, "REGISTRY_CACHE_IMAGE_ARCHITECTURES"));
    assertEquals("metadata.namespace",
        c.path("env").get(0).path("valueFrom").path("fieldRef").path("fieldPath").asText());
    assertTrue(c.path("securityContext").path("readOnlyRootFilesystem").asBoolean());
    assertEquals("ALL", c.path("securityContext").path("capabilities").path("drop").get(0).asText());
    find(objs, "ServiceAccount", "registry-cache");
    find(objs, "ServiceAccount", "registry-cache-node");
  }

  private static String envField(JsonNode container, String name) {
    for (JsonNode e : container.path("env")) {
      if (name.equals(e.path("name").asText())) {
        return e.path("valueFrom").path("fieldRef").path("fieldPath").asText();
      }
    }
    return null;
  }

  @Test
  void rightsGoToExactlyTheServiceAccountsThatNeedThem() throws Exception {
    List<ObjectNode> objs = objects(Map.of("credentialNamespaces[0]", "ci", "credentialNamespaces[1]", "registry-cache"));
    for (ObjectNode o : objs) {
      String kind = o.path("kind").asText();
      if (kind.equals("RoleBinding") || kind.equals("ClusterRoleBinding")) {
        for (JsonNode subject : o.path("spec").path("subjects").isMissingNode() ? o.path("subjects") : o.path("spec").path("subjects")) {
          assertEquals("ServiceAccount", subject.path("kind").asText(), o.path("metadata").path("name") + ": no groups");
          assertFalse(subject.path("name").asText().equals("default"), "never the default ServiceAccount");
        }
      }
      if (kind.equals("ClusterRole") && !o.path("metadata").path("name").asText().endsWith("-uninstall")) {
        for (JsonNode rule : o.path("rules")) {
          assertFalse(rule.path("resources").toString().contains("secrets"), "no Secret cluster-wide: " + rule);
        }
      }
    }
    ObjectNode ci = find(objs, "Role", "registry-cache-credentials");
    assertEquals("ci", ci.path("metadata").path("namespace").asText());
    assertEquals("[\"get\",\"list\",\"watch\"]", ci.path("rules").get(0).path("verbs").toString());
    assertEquals(1, objs.stream().filter(o -> o.path("metadata").path("name").asText().equals("registry-cache-credentials")
        && o.path("kind").asText().equals("Role")).count(), "the release namespace needs no second Role");
    ObjectNode nodeBinding = find(objs, "RoleBinding", "registry-cache-node");
    assertEquals("registry-cache-node", nodeBinding.path("subjects").get(0).path("name").asText());

    RuntimeException e = assertThrows(RuntimeException.class, () -> ChartRendering.render(
        Map.of("serviceAccount.create", false)));
    assertTrue(e.getMessage().contains("serviceAccount.name is required"), e.getMessage());
    assertThrows(RuntimeException.class, () -> ChartRendering.render(Map.of("nodeServiceAccount.create", false)));
  }

  @Test
  void everyOptionalBlock() throws Exception {
    List<ObjectNode> objs = objects(Map.of(
        "replicas", 2,
        "serviceMonitor.enabled", true,
        "grafanaDashboard.enabled", true,
        "registryCache.create", true,
        "registryCache.spec.port", 5055,
        "hostNetwork", true,
        "extraEnv[0].name", "KUBERNETES_SERVICE_HOST",
        "extraEnv[0].value", "127.0.0.1",
        "image.tag", "test"));
    ObjectNode deploy = find(objs, "Deployment", "registry-cache");
    assertEquals("RollingUpdate", deploy.path("spec").path("strategy").path("type").asText());
    JsonNode pod = deploy.path("spec").path("template").path("spec");
    assertTrue(pod.path("hostNetwork").asBoolean());
    assertEquals("ClusterFirstWithHostNet", pod.path("dnsPolicy").asText());
    JsonNode c = pod.path("containers").get(0);
    assertEquals("127.0.0.1", env(c, "KUBERNETES_SERVICE_HOST"));
    assertTrue(c.path("image").asText().endsWith(":test"));

    ObjectNode sm = find(objs, "ServiceMonitor", "registry-cache");
    assertEquals("metrics", sm.path("spec").path("endpoints").get(0).path("port").asText());
    find(objs, "Service", "-metrics");
    ObjectNode dashboard = find(objs, "ConfigMap", "-dashboard");
    JsonNode json = new ObjectMapper().readTree(dashboard.path("data").path("registry-cache.json").asText());
    assertEquals("registry-cache", json.path("uid").asText());
    assertTrue(json.path("panels").size() >= 4);

    ObjectNode cache = find(objs, "RegistryCache", "default");
    assertEquals(5055, cache.path("spec").path("port").asInt());
    // the pre-delete uninstall hook runs on a real kubelet node in NodeE2EIT
  }

  /**
   * Prometheus's side: a PodMonitor for the caches' metrics port (https, the reader's token), the
   * operator's ServiceMonitor with the same token, the rules of files/rules.yaml unchanged in a
   * PrometheusRule, and the RBAC: reading /metrics for the reader only, token reviews for the
   * cache pods' ServiceAccount only; plain when told, with none of that.
   */
  @Test
  void monitoringBlocksAndTheirRights() throws Exception {
    List<ObjectNode> objs = objects(Map.of("podMonitor.enabled", true, "serviceMonitor.enabled", true,
        "prometheusRule.enabled", true, "cacheMetrics.reader.subjects[0].kind", "ServiceAccount",
        "cacheMetrics.reader.subjects[0].name", "prometheus-k8s", "cacheMetrics.reader.subjects[0].namespace", "monitoring"));
    ObjectNode pm = find(objs, "PodMonitor", "registry-cache-caches");
    JsonNode ep = pm.path("spec").path("podMetricsEndpoints").get(0);
    assertEquals("metrics", ep.path("port").asText());
    assertEquals("https", ep.path("scheme").asText());
    assertTrue(ep.path("tlsConfig").path("insecureSkipVerify").asBoolean());
    assertEquals("registry-cache-metrics-reader-token", ep.path("authorization").path("credentials").path("name").asText());
    assertEquals("node-cache", pm.path("spec").path("selector").path("matchLabels").path("app.kubernetes.io/component")
        .asText());
    assertTrue(ep.path("relabelings").toString().contains("\"targetLabel\":\"node\""), ep.toString());
    ObjectNode sm = find(objs, "ServiceMonitor", "registry-cache");
    assertEquals("registry-cache-metrics-reader-token", sm.path("spec").path("endpoints").get(0).path("authorization")
        .path("credentials").path("name").asText());
    ObjectNode token = find(objs, "Secret", "registry-cache-metrics-reader-token");
    assertEquals("kubernetes.io/service-account-token", token.path("type").asText());
    assertEquals("registry-cache-metrics-reader",
        token.path("metadata").path("annotations").path("kubernetes.io/service-account.name").asText());

    ObjectNode rule = find(objs, "PrometheusRule", "registry-cache");
    JsonNode file = new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
        .readTree(ChartRendering.CHART.resolve("files/rules.yaml").toFile());
    assertEquals(file.path("groups"), rule.path("spec").path("groups"), "the rules file, unchanged");

    ObjectNode reader = find(objs, "ClusterRole", "registry-cache-metrics-reader");
    assertEquals("[{\"nonResourceURLs\":[\"/metrics\"],\"verbs\":[\"get\"]}]", reader.path("rules").toString());
    ObjectNode readers = find(objs, "ClusterRoleBinding", "registry-cache-metrics-reader");
    assertEquals(List.of("registry-cache-metrics-reader", "prometheus-k8s"), names(readers.path("subjects")));
    ObjectNode auth = find(objs, "ClusterRoleBinding", "registry-cache-node-metrics-auth");
    assertEquals(List.of("registry-cache-node"), names(auth.path("subjects")), "exactly the cache pods' ServiceAccount");
    assertTrue(find(objs, "ClusterRole", "registry-cache-node-metrics-auth").path("rules").toString()
        .contains("tokenreviews"));
    ObjectNode role = find(objs, "Role", "registry-cache");
    assertTrue(role.path("rules").toString().contains("\"resourceNames\":[\"registry-cache-metrics-reader\"]"),
        "the operator may ask for the reader's tokens only: " + role.path("rules"));
    JsonNode operator = find(objs, "Deployment", "registry-cache").path("spec").path("template").path("spec")
        .path("containers").get(0);
    assertEquals("true", env(operator, "REGISTRY_CACHE_METRICS_SECURE"));
    assertEquals("registry-cache-metrics-reader", env(operator, "REGISTRY_CACHE_METRICS_READER"));

    List<ObjectNode> plain = objects(Map.of("podMonitor.enabled", true, "cacheMetrics.secure", false));
    JsonNode plainEp = find(plain, "PodMonitor", "registry-cache-caches").path("spec").path("podMetricsEndpoints").get(0);
    assertTrue(plainEp.path("scheme").isMissingNode() && plainEp.path("authorization").isMissingNode(), plainEp.toString());
    assertTrue(plain.stream().noneMatch(o -> o.path("metadata").path("name").asText().endsWith("-node-metrics-auth")
        || o.path("kind").asText().equals("Secret")), "no token reviews, no token Secret when plain");
    assertEquals("false", env(find(plain, "Deployment", "registry-cache").path("spec").path("template").path("spec")
        .path("containers").get(0), "REGISTRY_CACHE_METRICS_SECURE"));
  }

  private static List<String> names(JsonNode subjects) {
    List<String> out = new ArrayList<>();
    subjects.forEach(s -> out.add(s.path("name").asText()));
    return out;
  }

  @Test
  void theValuesSchemaRefusesNonsense() {
    RuntimeException e = assertThrows(RuntimeException.class,
        () -> ChartRendering.render(Map.of("logFormat", "xml")));
    assertTrue(e.getMessage().contains("logFormat"), e.getMessage());
    assertThrows(RuntimeException.class, () -> ChartRendering.render(Map.of("metrics.port", 70000)));
    assertThrows(RuntimeException.class, () -> ChartRendering.render(Map.of("nosuchvalue", true)));
  }

  /**
   * Every key in values.yaml has a {@code # --} comment right above it; the keys of a documented
   * map value (a default such as {@code resources}) are covered by their parent's comment.
   */
  @Test
  void everyValueIsDocumented() throws Exception {
    List<String> lines = Files.readAllLines(ChartRendering.CHART.resolve("values.yaml"));
    List<String> undocumented = new ArrayList<>();
    boolean commented = false;
    int coveredBelow = Integer.MAX_VALUE; // keys indented deeper than this are covered
    for (String line : lines) {
      String t = line.strip();
      int indent = line.length() - line.stripLeading().length();
      if (t.startsWith("# --")) {
        commented = true;
      } else if (t.isEmpty() || t.startsWith("#") || t.startsWith("- ")) {
        continue;
      } else if (t.matches("[A-Za-z][A-Za-z0-9_.\"/-]*:.*")) {
        if (indent > coveredBelow) {
          continue;
        }
        coveredBelow = commented ? indent : Integer.MAX_VALUE;
        if (!commented && !t.endsWith(":")) {
          undocumented.add(t);
        }
        commented = false;
      }
    }
    assertTrue(undocumented.isEmpty(), "values without a # -- comment: " + undocumented);
  }
}
