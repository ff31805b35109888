package dev.registrycache.cli;

import dev.registrycache.config.CacheConfig;
import dev.registrycache.config.ConfigLoader;
import dev.registrycache.config.HostPort;
import dev.registrycache.metrics.KubernetesAccessReviewer;
import dev.registrycache.config.Sizes;
import dev.registrycache.logging.Logging;
import dev.registrycache.node.NodeMirrorLifecycle;
import dev.registrycache.node.NodeMirrorPlan;
import dev.registrycache.operator.PodConditionReporter;
import dev.registrycache.server.CacheApplication;
import dev.registrycache.server.MetricsServer;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code registry-cache cache}: runs the pull-through cache until SIGTERM/SIGINT. */
@Command(name = "cache", mixinStandardHelpOptions = true,
    description = "Run the pull-through cache (embedded default config unless --config is given). "
        + "Every option can also be set by the environment variable shown.")
public final class CacheCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(CacheCommand.class);
  private static final Duration REAPPLY = Duration.ofSeconds(60);
  /** How long a node re-apply under way at shutdown may take before restoring goes ahead. */
  private static final Duration NODE_STOP_WAIT = Duration.ofSeconds(10);

  @Option(names = "--config", description = "YAML/JSON config file (env: REGISTRY_CACHE_CONFIG)",
      defaultValue = "${env:REGISTRY_CACHE_CONFIG}")
  Path config;

  @Option(names = "--listen", description = "HOST:PORT for clients (env: REGISTRY_CACHE_LISTEN; default 127.0.0.1:5000)",
      defaultValue = "${env:REGISTRY_CACHE_LISTEN}")
  String listen;

  @Option(names = "--admin-listen", description = "HOST:PORT for metrics and health (env: REGISTRY_CACHE_ADMIN_LISTEN; default 127.0.0.1:5001)",
      defaultValue = "${env:REGISTRY_CACHE_ADMIN_LISTEN}")
  String adminListen;

  @Option(names = "--metrics-listen", description = "HOST:PORT where /metrics is also served off the loopback, e.g. "
      + "the node's address (env: REGISTRY_CACHE_METRICS_LISTEN; default: nowhere)",
      defaultValue = "${env:REGISTRY_CACHE_METRICS_LISTEN}")
  String metricsListen;

  // true or false, not negatable: picocli's --no- form of an option that defaults to true leaves it true
  @Option(names = "--metrics-secure", arity = "1", paramLabel = "true|false", description = "with --metrics-listen: "
      + "TLS, and a bearer token the Kubernetes API server accepts (TokenReview) and allows to get /metrics "
      + "(SubjectAccessReview); false serves plain HTTP to anyone (env: REGISTRY_CACHE_METRICS_SECURE; default true)",
      defaultValue = "${env:REGISTRY_CACHE_METRICS_SECURE:-true}")
  boolean metricsSecure;

  @Option(names = "--storage", description = "storage directory (env: REGISTRY_CACHE_STORAGE)",
      defaultValue = "${env:REGISTRY_CACHE_STORAGE}")
  String storage;

  @Option(names = "--max-size", description = "maximum store size, e.g. 50GiB (env: REGISTRY_CACHE_MAX_SIZE)",
      defaultValue = "${env:REGISTRY_CACHE_MAX_SIZE}")
  String maxSize;

  @Option(names = "--header-timeout", paramLabel = "DURATION", description = "a client connection must send a whole "
      + "request header within this, after opening or after its last answer (env: REGISTRY_CACHE_HEADER_TIMEOUT; "
      + "default 60s)", defaultValue = "${env:REGISTRY_CACHE_HEADER_TIMEOUT}")
  String headerTimeout;

  @Option(names = "--max-connections", paramLabel = "N", description = "client connections at once; more get a 503 "
      + "and are closed (env: REGISTRY_CACHE_MAX_CONNECTIONS; default 1024)",
      defaultValue = "${env:REGISTRY_CACHE_MAX_CONNECTIONS}")
  Integer maxConnections;

  @Option(names = "--access-log", negatable = true, description = "one log line per request (env: REGISTRY_CACHE_ACCESS_LOG)",
      defaultValue = "${env:REGISTRY_CACHE_ACCESS_LOG}")
  Boolean accessLog;

  @Option(names = "--log-format", paramLabel = "text|json",
      description = "log lines as text or as one JSON object each (env: REGISTRY_CACHE_LOG_FORMAT; default text)",
      defaultValue = "${env:REGISTRY_CACHE_LOG_FORMAT:-text}", converter = LogFormatConverter.class)
  Logging.Format logFormat;

  @Option(names = "--registry", paramLabel = "NAME=URL",
      description = "mirror NAME from upstream URL (repeatable; replaces the URL of a configured registry)")
  List<String> registries = new ArrayList<>();

  @Option(names = "--configure-node", negatable = true,
      description = "write the node's container runtime mirror entries once the cache answers, remove them on "
          + "SIGTERM (env: REGISTRY_CACHE_CONFIGURE_NODE)", defaultValue = "${env:REGISTRY_CACHE_CONFIGURE_NODE:-false}")
  boolean configureNode;

  @Option(names = "--shutdown-drain", paramLabel = "DURATION", description = "on SIGTERM, how long answers "
      + "in progress may take to finish before connections are closed, e.g. 10s "
      + "(env: REGISTRY_CACHE_SHUTDOWN_DRAIN; default 10s)",
      defaultValue = "${env:REGISTRY_CACHE_SHUTDOWN_DRAIN:-10s}")
  String shutdownDrain;

  @Mixin
  NodeOptions node = new NodeOptions();

  @Option(names = "--pod-name", description = "with --configure-node: write whether the node is configured, and why "
      + "not, as a condition into this pod's status (env: REGISTRY_CACHE_POD_NAME; set by the operator)",
      defaultValue = "${env:REGISTRY_CACHE_POD_NAME}")
  String podName;

  @Option(names = "--pod-namespace", description = "namespace of --pod-name (env: REGISTRY_CACHE_POD_NAMESPACE)",
      defaultValue = "${env:REGISTRY_CACHE_POD_NAMESPACE}")
  String podNamespace;

  @Override
  public Integer call() throws Exception {
    Logging.useFormat(logFormat);
    CacheConfig cfg;
    Duration drain;
    MetricsServer.Settings metrics;
    try {
      cfg = ConfigLoader.load(config, new ConfigLoader.Overrides(listen, adminListen, storage, maxSize,
          accessLog, registries, headerTimeout, maxConnections));
      drain = Sizes.parseDuration(shutdownDrain);
      if (drain.isNegative()) {
        throw new IllegalArgumentException("--shutdown-drain must not be negative: " + shutdownDrain);
      }
      metrics = metricsListen == null || metricsListen.isBlank() ? null
          : new MetricsServer.Settings(HostPort.parse(metricsListen.strip()), metricsSecure
              ? new KubernetesAccessReviewer(() -> new KubernetesClientBuilder().build()) : null);
    } catch (IllegalArgumentException e) {
      System.err.println("registry-cache: invalid configuration: " + e.getMessage());
      return 2;
    }
    CacheApplication app;
    try {
      app = CacheApplication.start(cfg, metrics);
    } catch (java.io.IOException e) {
      System.err.println("registry-cache: " + e.getMessage());
      return 1;
    }
    NodeMirrorLifecycle nodeLifecycle = configureNode ? startNodeConfiguration(cfg, app) : null;
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (nodeLifecycle != null) {
        // re-applying stops first (or it could put back what is removed), and the entries go
        // before the server does: no entry may point at nothing
        nodeLifecycle.stop(NODE_STOP_WAIT);
      }
      app.close(drain);
      Logging.stop(); // writes the access-log lines still queued
      stopped.countDown();
    }, "shutdown"));
    stopped.await();
    return 0;
  }

  /** {@code text} or {@code json}, in any case, with a message naming both. */
  static final class LogFormatConverter implements CommandLine.ITypeConverter<Logging.Format> {
    @Override
    public Logging.Format convert(String value) {
      try {
        return Logging.Format.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  private NodeMirrorLifecycle startNodeConfiguration(CacheConfig cfg, CacheApplication app) {
    String host = cfg.listen().host();
    if (host.equals("0.0.0.0") || host.equals("::")) {
      host = "127.0.0.1";
    }
    String endpoint = host + ":" + app.address().getPort();
    List<NodeMirrorPlan.MirroredRegistry> regs = cfg.registries().stream()
        .map(r -> new NodeMirrorPlan.MirroredRegistry(r.name(), r.url())).toList();
    NodeMirrorLifecycle lifecycle = new NodeMirrorLifecycle(new NodeMirrorPlan(endpoint, regs, node.options()),
        node.hostRoot, node.containerRuntimeVersion, node.autoDetect(), LOG::info);
    app.setStatusDetail(() -> lifecycle.status().summary());
    app.metrics().gauge("node_configured", "1 while the node's runtime uses this cache (its mirror entries are in "
        + "place), 0 otherwise", lifecycle, l -> l.status().configured() ? 1 : 0);
    PodConditionReporter pod = podName == null || podName.isBlank() || podNamespace == null ? null
        : new PodConditionReporter(() -> new KubernetesClientBuilder().build(), podNamespace, podName);
    // first at once, then periodically: idempotent, and it puts back entries someone removed
    lifecycle.startReapplying(REAPPLY, st -> {
      if (pod != null) {
        pod.report(st.configured(), st.summary());
      }
    });
    return lifecycle;
  }
}
