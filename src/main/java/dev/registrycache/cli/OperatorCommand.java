package dev.registrycache.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.registrycache.config.HostPort;
import dev.registrycache.metrics.AccessDecision;
import dev.registrycache.metrics.CachedAccessReviews;
import dev.registrycache.metrics.KubernetesAccessReviewer;
import dev.registrycache.operator.statistics.CacheStatisticsGatherer;
import dev.registrycache.operator.statistics.ReaderToken;
import dev.registrycache.upstream.UpstreamTls;
import dev.registrycache.operator.OperatorLease;
import dev.registrycache.operator.OperatorSettings;
import dev.registrycache.operator.OwnImage;
import dev.registrycache.operator.RegistryCacheOperator;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code registry-cache operator}: reconciles RegistryCaches into cache DaemonSets until SIGTERM. */
@Command(name = "operator", mixinStandardHelpOptions = true,
    description = "Run the Kubernetes operator. Every option can also be set by the environment variable shown.")
public final class OperatorCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(OperatorCommand.class);
  private static final Path POD_NAMESPACE = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");

  @Option(names = "--namespace", description = "where the caches' DaemonSets, ConfigMaps and Secrets live "
      + "(env: REGISTRY_CACHE_NAMESPACE; default: the pod's namespace, else registry-cache)",
      defaultValue = "${env:REGISTRY_CACHE_NAMESPACE}")
  String namespace;

  @Option(names = "--image", description = "image of the cache pods unless a RegistryCache names one "
      + "(env: REGISTRY_CACHE_IMAGE; default: the operator's own image, read from its pod --pod-name)",
      defaultValue = "${env:REGISTRY_CACHE_IMAGE}")
  String image;

  @Option(names = "--pod-name", description = "the operator's own pod, whose image the caches run unless --image "
      + "says otherwise (env: REGISTRY_CACHE_POD_NAME; set by the chart)", defaultValue = "${env:REGISTRY_CACHE_POD_NAME}")
  String podName;

  @Option(names = "--image-architectures", description = "CPU architectures of the cache image, comma-separated "
      + "kubernetes.io/arch values: the caches run only on such nodes (env: REGISTRY_CACHE_IMAGE_ARCHITECTURES; "
      + "default amd64)", defaultValue = "${env:REGISTRY_CACHE_IMAGE_ARCHITECTURES:-amd64}")
  String imageArchitectures;

  @Option(names = "--node-service-account", description = "ServiceAccount of the cache pods (env: "
      + "REGISTRY_CACHE_NODE_SERVICE_ACCOUNT; default registry-cache-node)",
      defaultValue = "${env:REGISTRY_CACHE_NODE_SERVICE_ACCOUNT:-" + OperatorSettings.DEFAULT_NODE_SERVICE_ACCOUNT + "}")
  String nodeServiceAccount;

  @Option(names = "--credential-namespaces", description = "namespaces besides its own whose Secrets a "
      + "credentialsSecretRef may name, comma-separated; the operator needs a Role there "
      + "(env: REGISTRY_CACHE_CREDENTIAL_NAMESPACES)", defaultValue = "${env:REGISTRY_CACHE_CREDENTIAL_NAMESPACES}")
  String credentialNamespaces;

  @Option(names = "--control-plane-nodes", negatable = true, description = "also cache on control-plane nodes "
      + "(env: REGISTRY_CACHE_CONTROL_PLANE_NODES; default true)",
      defaultValue = "${env:REGISTRY_CACHE_CONTROL_PLANE_NODES:-true}")
  boolean controlPlaneNodes;

  @Option(names = "--image-pull-policy", description = "(env: REGISTRY_CACHE_IMAGE_PULL_POLICY; default IfNotPresent)",
      defaultValue = "${env:REGISTRY_CACHE_IMAGE_PULL_POLICY:-IfNotPresent}")
  String imagePullPolicy;


  @Option(names = "--log-format", description = "text or json, also passed to the cache pods "
      + "(env: REGISTRY_CACHE_LOG_FORMAT)", defaultValue = "${env:REGISTRY_CACHE_LOG_FORMAT:-text}")
  String logFormat;

  @Option(names = "--metrics-secure", arity = "1", paramLabel = "true|false", description = "the caches' and the "
      + "operator's /metrics need TLS (caches) and a bearer token the API server authorizes for GET /metrics; false "
      + "serves them plain (env: REGISTRY_CACHE_METRICS_SECURE; default true)",
      defaultValue = "${env:REGISTRY_CACHE_METRICS_SECURE:-true}")
  boolean metricsSecure;

  @Option(names = "--metrics-reader", description = "ServiceAccount (in the operator's namespace) allowed only to get "
      + "/metrics, whose short-lived tokens the operator sends to read the caches' counters for the status "
      + "(env: REGISTRY_CACHE_METRICS_READER; empty: no token is sent)",
      defaultValue = "${env:REGISTRY_CACHE_METRICS_READER}")
  String metricsReader;

  @Option(names = "--listen", description = "HOST:PORT of /healthz, /readyz and /metrics "
      + "(env: REGISTRY_CACHE_OPERATOR_LISTEN; default 0.0.0.0:8080)",
      defaultValue = "${env:REGISTRY_CACHE_OPERATOR_LISTEN:-0.0.0.0:8080}")
  String listen;

  @Override
  public Integer call() throws Exception {
    String ns = namespace != null && !namespace.isBlank() ? namespace
        : Files.isReadable(POD_NAMESPACE) ? Files.readString(POD_NAMESPACE).strip() : "registry-cache";
    Config config = new ConfigBuilder(Config.autoConfigure(null)).withNamespace(ns).build();
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    String cacheImage = image != null && !image.isBlank() ? image : OwnImage.of(client, ns, podName);
    OperatorSettings settings = new OperatorSettings(ns, cacheImage, imagePullPolicy, logFormat,
        OperatorSettings.apiServerEnv(System.getenv()), nodeServiceAccount,
        java.util.Set.copyOf(OperatorSettings.list(credentialNamespaces)), controlPlaneNodes,
        OperatorSettings.list(imageArchitectures), metricsSecure);
    String identity = ns + "/" + (podName != null && !podName.isBlank() ? podName
        : java.util.Objects.requireNonNullElse(System.getenv("HOSTNAME"), "operator"));
    OperatorLease lease = new OperatorLease(ns, identity);
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(metrics);
    new JvmThreadMetrics().bindTo(metrics);
    CacheStatisticsGatherer statistics = new CacheStatisticsGatherer(UpstreamTls.context(null, true),
        metricsReader == null || metricsReader.isBlank() ? () -> null : new ReaderToken(client, ns, metricsReader.strip()),
        metricsSecure, null);
    Operator operator = RegistryCacheOperator.create(client, settings, lease, metrics, statistics, o -> { });
    CachedAccessReviews access = metricsSecure ? new CachedAccessReviews(new KubernetesAccessReviewer(() -> client),
        java.util.concurrent.Executors.newCachedThreadPool(r -> {
          Thread t = new Thread(r, "metrics-access");
          t.setDaemon(true);
          return t;
        })) : null;
    HttpServer http = health(HostPort.parse(listen), operator, lease, metrics, access);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      operator.stop();
      statistics.close();
      http.stop(0);
      stopped.countDown();
    }, "shutdown"));
    operator.start();
    LOG.info("operator started in namespace {}; cache image {}; health and metrics on {}", ns, cacheImage, listen);
    stopped.await();
    return 0;
  }

  /** @param access reviews the bearer tokens of {@code /metrics}; null: served to anyone */
  private static HttpServer health(HostPort at, Operator operator, OperatorLease lease, PrometheusMeterRegistry metrics,
      CachedAccessReviews access) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(at.host(), at.port()), 16);
    // a token review waiting for the API server must not hold up the probes
    s.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "operator-http");
      t.setDaemon(true);
      return t;
    }));
    s.createContext("/healthz", ex -> answer(ex, () -> !operator.getRuntimeInfo().isStarted()
        || operator.getRuntimeInfo().allEventSourcesAreHealthy(), "ok\n", "informers unhealthy\n"));
    // not ready while another installation (another namespace) reconciles the RegistryCaches;
    // a standby replica of this one is ready
    s.createContext("/readyz", ex -> {
      String other = lease.heldElsewhere();
      answer(ex, () -> operator.getRuntimeInfo().isStarted() && other == null, "ok\n",
          other == null ? "starting\n" : other + "\n");
    });
    // the probes above need no token; the metrics do, as the caches' do
    s.createContext("/metrics", ex -> {
      AccessDecision d = access == null ? AccessDecision.ALLOWED : decide(access, ex);
      byte[] body = (d == AccessDecision.ALLOWED ? metrics.scrape() : d.name().toLowerCase() + "\n")
          .getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
      if (d == AccessDecision.UNAUTHENTICATED) {
        ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"registry-cache operator metrics\"");
      }
      ex.sendResponseHeaders(d.status(), body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    });
    s.start();
    return s;
  }

  private static AccessDecision decide(CachedAccessReviews access, HttpExchange ex) {
    try {
      return access.check(ex.getRequestHeaders().getFirst("Authorization")).get(15, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      return AccessDecision.UNAVAILABLE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return AccessDecision.UNAVAILABLE;
    }
  }

  private static void answer(HttpExchange ex, BooleanSupplier ok, String yes, String no) throws IOException {
    boolean good = ok.getAsBoolean();
    byte[] body = (good ? yes : no).getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(good ? 200 : 503, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }
}
