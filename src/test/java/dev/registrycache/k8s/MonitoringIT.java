package dev.registrycache.k8s;

import static dev.registrycache.k8s.KitCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import dev.registrycache.api.v1alpha1.CacheStatistics;
import dev.registrycache.api.v1alpha1.RegistryCache;
import dev.registrycache.operator.statistics.CacheCounters;
import dev.registrycache.upstream.UpstreamTls;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The monitoring of docs/metrics.md on a real kubelet node, with a real Prometheus (Debian's
 * 2.42): the chart installed with Helm (secure metrics), a RegistryCache whose cache pulls for
 * kubelet, its metrics port refusing requests without a token (401), with a bad one (401) and
 * with one not allowed to read (403); a Prometheus configured from docs/examples/prometheus.yml
 * (its scrape settings and relabelling; the pods listed from the kit's API server with
 * Prometheus's own ServiceAccount and served as HTTP discovery with kubernetes_sd's meta labels,
 * since Debian's build has no Kubernetes discovery; the reader role the chart binds to that
 * ServiceAccount) that scrapes the cache pod and the operator; every query of every panel of
 * the chart's dashboard returning data; promtool accepting the chart's rules and Prometheus
 * evaluating them; {@code kubectl get regcache} showing the hit ratio and bytes served that the
 * cache's own counters say; a stopped cache firing the node alert, a dead upstream the upstream
 * alert. The docker.io upstream sits behind a small proxy here that adds Docker Hub's
 * {@code ratelimit-remaining} header (a local registry sends none) and can answer 503 on demand
 * (so that the cache answers tags stale, as when Docker Hub is down).
 */
class MonitoringIT {
  static final String NS = "registry-cache-mon";
  static final String RC = "mon";
  static final int PROMETHEUS_PORT = 19090;
  static final int OPERATOR_PORT = 18092;
  static final int METRICS_PORT = 5002;
  static final Path WORK = Path.of("target/monitoring-it");
  static final Duration LONG = Duration.ofSeconds(150);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Panels whose queries must show more than zero after the test's pulls. */
  static final java.util.Set<String> MUST_MOVE = java.util.Set.of("Bytes saved: served from the nodes' disks, per registry",
      "Blob hit ratio per registry", "Bytes saved per node", "Pulls that fell back to upstream (errors per reason)",
      "Blob hit ratio", "Upstream errors", "Store size per node", "Docker Hub rate limit remaining");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
  private HttpClient https;
  private Process prometheus;
  private RateLimitProxy proxy;
  private PodDiscovery discovery;

  @Test
  void aRealPrometheusScrapesTheCachesThroughTheChartsConfiguration() throws Exception {
    String image = System.getProperty("e2e.image");
    assertTrue(image != null && !image.isBlank(), "-De2e.image=REPO:TAG is not set: run .ci/run");
    assertTrue(Files.isExecutable(Path.of("/usr/bin/prometheus")) && Files.isExecutable(Path.of("/usr/bin/promtool")),
        "Debian's prometheus package is not installed (.ci/run installs it)");
    https = HttpClient.newBuilder().sslContext(UpstreamTls.context(null, true)).connectTimeout(Duration.ofSeconds(3))
        .build();
    if (Files.exists(WORK)) { // an earlier run's Prometheus data
      try (var files = Files.walk(WORK)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
    Files.createDirectories(WORK);
    NodeE2EIT.startUpstreams();
    proxy = RateLimitProxy.start("http://127.0.0.1:" + NodeE2EIT.UPSTREAM_ENV.get("E2E_UPSTREAM_PORT"));
    try (KubernetesClient k = KitCluster.admin()) {
      try {
        run(k, image);
      } finally {
        cleanUp(k);
      }
    }
  }

  private void run(KubernetesClient k, String image) throws Exception {
    Path storage = Path.of("/var/tmp/registry-cache-mon-" + System.currentTimeMillis());
    install(k, image, storage);
    String reader = token(k, "registry-cache-metrics-reader");
    String prometheusToken = token(k, "prometheus");
    String nobody = token(k, "default");
    String url = "https://127.0.0.1:" + METRICS_PORT + "/metrics";

    // 1. the metrics port off the loopback: tokens the API server accepts and authorizes only
    HttpResponse<String> none = get(https, url, null);
    assertEquals(401, none.statusCode(), none.body());
    assertEquals(401, get(https, url, "made-up-token").statusCode());
    assertEquals(403, get(https, url, nobody).statusCode(), "a valid token without the reader role");
    HttpResponse<String> ok = get(https, url, reader);
    assertEquals(200, ok.statusCode(), ok.body());
    assertTrue(ok.body().contains("registry_cache_store_limit_bytes"), ok.body());
    assertEquals(200, get(https, url, prometheusToken).statusCode(), "the subject cacheMetrics.reader.subjects adds");
    assertFalse(plainHttpServes("http://127.0.0.1:" + METRICS_PORT + "/metrics", reader), "no metrics over plain http");

    // 2. a real Prometheus, configured as docs/examples/prometheus.yml says, watching from the start
    discovery = new PodDiscovery(asPrometheus(prometheusToken), NS);
    Path config = prometheusConfig(prometheusToken, discovery);
    String promtool = run(List.of("promtool", "check", "rules", "charts/registry-cache/files/rules.yaml"));
    assertTrue(promtool.contains("SUCCESS: 6 rules found"), promtool);
    assertTrue(run(List.of("promtool", "check", "config", config.toString())).contains("SUCCESS"));
    prometheus = new ProcessBuilder("prometheus", "--config.file=" + config.toAbsolutePath(),
        "--storage.tsdb.path=" + WORK.resolve("data").toAbsolutePath(), "--web.listen-address=127.0.0.1:"
        + PROMETHEUS_PORT, "--log.level=warn").redirectErrorStream(true)
        .redirectOutput(WORK.resolve("prometheus.log").toFile()).start();
    await("Prometheus scrapes the cache pod and the operator", LONG, () -> {
      JsonNode targets = api("/api/v1/targets").path("data").path("activeTargets");
      List<String> up = new ArrayList<>();
      targets.forEach(t -> {
        if ("up".equals(t.path("health").asText())) {
          up.add(t.path("labels").path("job").asText());
        }
      });
      return up.contains("registry-cache") && up.contains("registry-cache-operator") ? up : null;
    });
    JsonNode cacheTarget = api("/api/v1/query?query=" + enc("up{job=\"registry-cache\"}")).path("data").path("result")
        .get(0).path("metric");
    assertEquals("kit-node", cacheTarget.path("node").asText(), "the node label from service discovery");
    assertEquals(RC, cacheTarget.path("registrycache").asText());

    // 3. pulls through the cache: misses, hits, an unreachable upstream, tags answered stale
    NodeE2EIT.removeTestImages();
    NodeE2EIT.runPod(k, "mon-small", "docker.io/library/e2e-small:v1");
    k.pods().inNamespace("default").withName("mon-small").delete();
    await("mon-small gone", LONG, () -> k.pods().inNamespace("default").withName("mon-small").get() == null);
    NodeE2EIT.removeTestImages();
    NodeE2EIT.runPod(k, "mon-small2", "docker.io/library/e2e-small:v1");
    NodeE2EIT.runPod(k, "mon-multi", "docker.io/library/e2e-multi:v1");
    blobHits("library/e2e-small", 12);
    Thread failing = unreachableUpstream();
    proxy.failManifests(true); // docker.io answers 503: the cache answers the tag from what it stored
    NodeE2EIT.removeImages("docker.io/library/e2e-small");
    Thread.sleep(2000); // the tag's TTL (1 s) has passed: the cache asks upstream, which fails
    NodeE2EIT.ctr("images", "pull", "--hosts-dir", NodeE2EIT.CERTS_D.toString(), "docker.io/library/e2e-small:v1");
    proxy.failManifests(false);
    String counters = await("a stale answer counted", LONG, () -> {
      String t = get(https, url, reader).body();
      return t.lines().anyMatch(l -> l.startsWith("registry_cache_stale_served_total{")
          && l.contains("registry=\"docker.io\"")) ? t : null;
    });
    assertTrue(counters.contains("registry_cache_upstream_ratelimit_remaining{registry=\"docker.io\"} 97.0"), counters);
    assertFalse(counters.contains(reader) || counters.contains("e2e-password"), "no credential in the metrics");

    // every query of every panel returns data
    JsonNode dashboard = JSON.readTree(Path.of("charts/registry-cache/files/dashboard.json").toFile());
    int queries = 0;
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        String expr = target.path("expr").asText();
        queries++;
        JsonNode result = await("data for panel '" + panel.path("title").asText() + "': " + expr, LONG, () -> {
          JsonNode r = api("/api/v1/query?query=" + enc(expr));
          assertEquals("success", r.path("status").asText(), expr + ": " + r);
          JsonNode series = r.path("data").path("result");
          boolean positive = false;
          for (JsonNode one : series) {
            positive |= Double.parseDouble(one.path("value").get(1).asText()) > 0;
          }
          // what the pulls above made must show, not only a series of zeros
          return series.size() > 0 && (!MUST_MOVE.contains(panel.path("title").asText()) || positive) ? series : null;
        });
        System.out.println("panel '" + panel.path("title").asText() + "' " + expr + " -> " + result);
      }
    }
    assertTrue(queries >= 14, "every panel's queries ran: " + queries);
    await("the recording rules evaluate", LONG, () -> api("/api/v1/query?query="
        + enc("registry:registry_cache_blob_hit_ratio:rate5m{registry=\"docker.io\"}")).path("data").path("result")
        .size() > 0);

    // 4. kubectl get regcache: the hit ratio and bytes served that the cache's own counters say
    long[] own = total(CacheCounters.parse(get(https, url, reader).body()));
    RegistryCache gathered = await("status.statistics matching the cache's counters " + java.util.Arrays.toString(own),
        Duration.ofSeconds(200), () -> {
          RegistryCache rc = k.resources(RegistryCache.class).withName(RC).get();
          CacheStatistics s = rc.getStatus().statistics;
          return s != null && s.blobRequests == own[CacheCounters.REQUESTS]
              && s.servedFromCacheBytes == own[CacheCounters.FROM_CACHE] ? rc : null;
        });
    CacheStatistics s = gathered.getStatus().statistics;
    assertTrue(own[CacheCounters.HITS] > 0 && own[CacheCounters.FROM_CACHE] > 0, "hits were made");
    assertEquals((own[CacheCounters.HITS] * 100 / own[CacheCounters.REQUESTS]) + "%", s.blobHitRatio);
    String table = KitCluster.kubectl("get", "regcache", RC);
    System.out.println(table);
    assertTrue(table.contains("HIT(1H)") && table.contains("SERVED(1H)"), table);
    assertTrue(table.contains(s.blobHitRatio) && table.contains(s.servedFromCache), table);
    String described = KitCluster.kubectl("describe", "regcache", RC);
    assertTrue(described.contains("Worst Nodes") && described.contains("kit-node")
        && described.contains("docker.io"), described);

    // 5. alerts: an upstream that fails, a node whose cache stopped
    awaitAlert("RegistryCacheUpstreamFailing", "ghcr.io");
    String good = k.apps().daemonSets().inNamespace(NS).withName("registry-cache-" + RC).get().getSpec().getTemplate()
        .getSpec().getContainers().get(0).getImage();
    k.resources(RegistryCache.class).withName(RC).edit(rc -> {
      rc.getSpec().image = good.substring(0, good.lastIndexOf(':')) + ":no-such-tag";
      return rc;
    });
    awaitAlert("RegistryCacheNodeNotCaching", RC);
    k.resources(RegistryCache.class).withName(RC).edit(rc -> {
      rc.getSpec().image = null;
      return rc;
    });
    await("caching again", LONG, () -> "1/1".equals(k.resources(RegistryCache.class).withName(RC).get().getStatus().ready));
    failing.interrupt();
  }

  private void install(KubernetesClient k, String image, Path storage) throws Exception {
    int colon = image.lastIndexOf(':');
    Path values = WORK.resolve("values.yaml");
    Files.writeString(values, "image: {repository: \"" + image.substring(0, colon) + "\", tag: \""
        + image.substring(colon + 1) + "\"}\nhostNetwork: true\nmetrics: {port: " + OPERATOR_PORT + "}\n"
        + "extraEnv:\n  - {name: KUBERNETES_SERVICE_HOST, value: \"127.0.0.1\"}\n"
        + "  - {name: KUBERNETES_SERVICE_PORT, value: \"16043\"}\n"
        + "cacheMetrics:\n  reader:\n    subjects:\n      - {kind: ServiceAccount, name: prometheus, namespace: " + NS
        + "}\n");
    // Helm installs a CRD only when there is none: the one an earlier run left may lack status.statistics
    KitCluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", "crds/registrycaches.registrycache.dev-v1.yml");
    new Helm(Path.of("charts/registry-cache")).install().withName("registry-cache").withNamespace(NS)
        .createNamespace().withValuesFile(values).withKubeConfigContents(Files.readString(KitCluster.ADMIN_KUBECONFIG))
        .call();
    // Prometheus's own ServiceAccount: discovering pods (docs/metrics.md), reading /metrics by the chart's binding
    k.serviceAccounts().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.ServiceAccountBuilder()
        .withNewMetadata().withName("prometheus").endMetadata().build()).create();
    k.rbac().clusterRoles().resource(new ClusterRoleBuilder().withNewMetadata().withName("mon-prometheus-pods")
        .endMetadata().addNewRule().withApiGroups("").withResources("pods").withVerbs("get", "list", "watch").endRule()
        .build()).createOr(r -> r.update());
    k.rbac().clusterRoleBindings().resource(new ClusterRoleBindingBuilder().withNewMetadata()
        .withName("mon-prometheus-pods").endMetadata().withNewRoleRef().withApiGroup("rbac.authorization.k8s.io")
        .withKind("ClusterRole").withName("mon-prometheus-pods").endRoleRef().addNewSubject().withKind("ServiceAccount")
        .withName("prometheus").withNamespace(NS).endSubject().build()).createOr(r -> r.update());
    RegistryCache rc = new io.fabric8.kubernetes.client.utils.KubernetesSerialization().unmarshal(
        "apiVersion: registrycache.dev/v1alpha1\nkind: RegistryCache\nmetadata: {name: " + RC + "}\nspec:\n"
        + "  registries:\n"
        + "    - {name: docker.io, url: \"" + proxy.url() + "\", tagTtl: 1s}\n"
        + "    - {name: ghcr.io, url: \"http://127.0.0.1:1\"}\n"
        + "  storage: {hostPath: " + storage + "}\n"
        + "  runtimes:\n    containerd: {mode: enabled, configDir: /etc/containerd-kit/certs.d}\n"
        + "    crio: {mode: disabled}\n", RegistryCache.class);
    k.resources(RegistryCache.class).resource(rc).forceConflicts().serverSideApply();
    await("RegistryCache " + RC + " 1/1", LONG, () -> {
      RegistryCache r = k.resources(RegistryCache.class).withName(RC).get();
      return r != null && r.getStatus() != null && "1/1".equals(r.getStatus().ready) ? r : null;
    });
  }

  /**
   * Requests for a registry whose upstream is unreachable, one a second until the test ends (rates
   * need a counter that grows): the cache answers 503 and counts an upstream error each time.
   * Straight to the cache, not through kubelet, whose fallback would try the real registry.
   */
  private Thread unreachableUpstream() {
    String url = "http://127.0.0.1:5000/v2/library/e2e-nothing/manifests/v1?ns=ghcr.io";
    assertEquals(503, get(http, url, null).statusCode());
    Thread t = new Thread(() -> {
      for (int i = 0; i < 900 && !Thread.currentThread().isInterrupted(); i++) {
        try {
          get(http, url, null);
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          // the cache restarting: the next request comes
        }
      }
    }, "unreachable-upstream");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** GETs of the layers of an image the cache stored: hits (the worst-node ranking needs ten requests). */
  private void blobHits(String repository, int rounds) throws Exception {
    String manifest = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:5000/v2/" + repository
        + "/manifests/v1?ns=docker.io")).header("Accept", "application/vnd.docker.distribution.manifest.v2+json, "
        + "application/vnd.oci.image.manifest.v1+json").build(), HttpResponse.BodyHandlers.ofString()).body();
    JsonNode layers = JSON.readTree(manifest).path("layers");
    assertTrue(layers.size() > 0, manifest);
    for (int i = 0; i < rounds; i++) {
      for (JsonNode l : layers) {
        assertEquals(200, get(http, "http://127.0.0.1:5000/v2/" + repository + "/blobs/" + l.path("digest").asText()
            + "?ns=docker.io", null).statusCode());
      }
    }
  }

  private boolean plainHttpServes(String url, String token) {
    try {
      HttpResponse<String> r = get(http, url, token);
      return r.statusCode() == 200 && r.body().contains("registry_cache_");
    } catch (IllegalStateException refused) {
      return false;
    }
  }

  private void awaitAlert(String name, String label) {
    JsonNode alert = await("alert " + name + " firing (" + label + ")", LONG, () -> {
      for (JsonNode a : api("/api/v1/alerts").path("data").path("alerts")) {
        if (name.equals(a.path("labels").path("alertname").asText()) && "firing".equals(a.path("state").asText())
            && a.path("labels").toString().contains("\"" + label + "\"")) {
          return a;
        }
      }
      return null;
    });
    System.out.println("firing: " + alert);
  }

  /**
   * docs/examples/prometheus.yml for the kit: its scrape settings and relabelling as they are, a
   * token file, short intervals, the rules with short waits, and the pods of this namespace found
   * through {@link PodDiscovery} (Debian's Prometheus has no kubernetes_sd_configs).
   */
  private Path prometheusConfig(String token, PodDiscovery discovery) throws Exception {
    Path tokenFile = WORK.resolve("prometheus.token").toAbsolutePath();
    Files.writeString(tokenFile, token);
    ObjectNode cfg = (ObjectNode) YAML.readTree(Path.of("docs/examples/prometheus.yml").toFile());
    ObjectNode global = (ObjectNode) cfg.path("global");
    global.put("scrape_interval", "2s");
    global.put("evaluation_interval", "1s");
    // the chart's rules, with their waits shortened to seconds
    String rules = Files.readString(Path.of("charts/registry-cache/files/rules.yaml"))
        .replaceAll("for: \\d+m", "for: 5s");
    Path rulesFile = WORK.resolve("registry-cache-rules.yaml").toAbsolutePath();
    Files.writeString(rulesFile, rules);
    ((ArrayNode) cfg.path("rule_files")).removeAll().add(rulesFile.toString());
    for (JsonNode job : cfg.path("scrape_configs")) {
      ObjectNode j = (ObjectNode) job;
      JsonNode sd = j.remove("kubernetes_sd_configs");
      assertEquals("pod", sd.path(0).path("role").asText());
      // Debian's build has no Kubernetes discovery: the same pods, with the same meta labels, over HTTP
      j.putArray("http_sd_configs").addObject().put("url", discovery.url()).put("refresh_interval", "2s");
      ((ObjectNode) job.path("authorization")).put("credentials_file", tokenFile.toString());
    }
    Path out = WORK.resolve("prometheus.yml");
    YAML.writeValue(out.toFile(), cfg);
    return out;
  }

  /** A client of the kit's API server with Prometheus's ServiceAccount token: its RBAC, not the admin's. */
  private static KubernetesClient asPrometheus(String token) throws Exception {
    io.fabric8.kubernetes.client.Config admin = io.fabric8.kubernetes.client.Config.fromKubeconfig(
        Files.readString(KitCluster.ADMIN_KUBECONFIG));
    return new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(
        new io.fabric8.kubernetes.client.ConfigBuilder().withMasterUrl(admin.getMasterUrl())
            .withCaCertData(admin.getCaCertData()).withCaCertFile(admin.getCaCertFile()).withOauthToken(token)
            .build()).build();
  }

  private static String token(KubernetesClient k, String serviceAccount) {
    return k.serviceAccounts().inNamespace(NS).withName(serviceAccount).tokenRequest(new TokenRequestBuilder()
        .withNewSpec().withExpirationSeconds(3600L).endSpec().build()).getStatus().getToken();
  }

  private static long[] total(CacheCounters c) {
    long[] t = new long[CacheCounters.WIDTH];
    c.byRegistry().values().forEach(v -> {
      for (int i = 0; i < t.length; i++) {
        t[i] += v[i];
      }
    });
    return t;
  }

  private JsonNode api(String path) {
    try {
      return JSON.readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PROMETHEUS_PORT + path))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body());
    } catch (Exception e) {
      throw new IllegalStateException("Prometheus's API: " + e, e);
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static HttpResponse<String> get(HttpClient client, String url, String token) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    try {
      return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new IllegalStateException(url + ": " + e, e);
    }
  }

  private static String run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      fail(String.join(" ", cmd) + " failed: " + out);
    }
    return out;
  }

  private void cleanUp(KubernetesClient k) {
    if (prometheus != null) {
      prometheus.destroy();
      try {
        if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
          prometheus.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      NodeE2EIT.shell(Map.of(), "stop-all.sh");
    } catch (Exception | AssertionError e) {
      System.out.println("stopping the upstreams: " + e);
    }
    if (proxy != null) {
      proxy.close();
    }
    if (discovery != null) {
      discovery.close();
    }
    try {
      k.pods().inNamespace("default").withLabel("e2e", "node").delete();
      k.resources(RegistryCache.class).withName(RC).delete();
      await("cache pods gone (they restore the node)", LONG, () -> k.pods().inNamespace(NS)
          .withLabel("registrycache.dev/cache", RC).list().getItems().isEmpty());
      Helm.uninstall("registry-cache").withNamespace(NS).ignoreNotFound()
          .withKubeConfigContents(Files.readString(KitCluster.ADMIN_KUBECONFIG)).call();
      k.rbac().clusterRoleBindings().withName("mon-prometheus-pods").delete();
      k.rbac().clusterRoles().withName("mon-prometheus-pods").delete();
      k.namespaces().withName(NS).delete();
      await("namespace gone", LONG, () -> k.namespaces().withName(NS).get() == null);
    } catch (Exception | AssertionError e) {
      System.out.println("cleanup after the test: " + e);
    }
  }
}
