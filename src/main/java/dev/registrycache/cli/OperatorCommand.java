package dev.registrycache.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.registrycache.config.HostPort;
import dev.registrycache.operator.OperatorSettings;
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
      + "(env: REGISTRY_CACHE_IMAGE)", defaultValue = "${env:REGISTRY_CACHE_IMAGE}", required = true)
  String image;

  @Option(names = "--image-pull-policy", description = "(env: REGISTRY_CACHE_IMAGE_PULL_POLICY; default IfNotPresent)",
      defaultValue = "${env:REGISTRY_CACHE_IMAGE_PULL_POLICY:-IfNotPresent}")
  String imagePullPolicy;

  @Option(names = "--leader-election", description = "elect a leader among replicas with a Lease "
      + "(env: REGISTRY_CACHE_LEADER_ELECTION)", defaultValue = "${env:REGISTRY_CACHE_LEADER_ELECTION:-false}")
  boolean leaderElection;

  @Option(names = "--log-format", description = "text or json, also passed to the cache pods "
      + "(env: REGISTRY_CACHE_LOG_FORMAT)", defaultValue = "${env:REGISTRY_CACHE_LOG_FORMAT:-text}")
  String logFormat;

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
    Operator operator = RegistryCacheOperator.create(client, new OperatorSettings(ns, image, imagePullPolicy, logFormat,
        OperatorSettings.apiServerEnv(System.getenv())),
        leaderElection, o -> { });
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(metrics);
    new JvmThreadMetrics().bindTo(metrics);
    HttpServer http = health(HostPort.parse(listen), operator, metrics);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      operator.stop();
      http.stop(0);
      stopped.countDown();
    }, "shutdown"));
    operator.start();
    LOG.info("operator started in namespace {}; cache image {}; health and metrics on {}", ns, image, listen);
    stopped.await();
    return 0;
  }

  private static HttpServer health(HostPort at, Operator operator, PrometheusMeterRegistry metrics) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(at.host(), at.port()), 16);
    s.createContext("/healthz", ex -> answer(ex, () -> !operator.getRuntimeInfo().isStarted()
        || operator.getRuntimeInfo().allEventSourcesAreHealthy(), "ok\n", "informers unhealthy\n"));
    s.createContext("/readyz", ex -> answer(ex, () -> operator.getRuntimeInfo().isStarted(), "ok\n", "starting\n"));
    s.createContext("/metrics", ex -> {
      byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
      ex.sendResponseHeaders(200, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    });
    s.start();
    return s;
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
