package dev.registrycache.server;

import dev.registrycache.cache.BlobService;
import dev.registrycache.cache.ManifestService;
import dev.registrycache.cache.PrivateAccess;
import dev.registrycache.config.CacheConfig;
import dev.registrycache.config.StorageScan;
import dev.registrycache.config.RegistryConfig;
import dev.registrycache.metrics.CacheMetrics;
import dev.registrycache.oci.DistributionPathParser;
import dev.registrycache.store.BlobIndex;
import dev.registrycache.store.BlobStore;
import dev.registrycache.store.ContentVerifier;
import dev.registrycache.store.DiskUsage;
import dev.registrycache.store.Storage;
import dev.registrycache.store.StorageHealth;
import dev.registrycache.store.TagStore;
import dev.registrycache.upstream.UpstreamClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running cache: store, index, upstream client, services, the client-facing server and
 * the admin server, started in that order and stopped in reverse.
 */
public final class CacheApplication implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CacheApplication.class);
  /** Direct memory for small blobs and manifests (each at most {@link HotContent#MAX_ENTRY_BYTES}). */
  private static final long HOT_CONTENT_BYTES = 32L << 20;
  /** Threads opening and reading files for requests; each open takes microseconds. */
  private static final int DISK_THREADS = 4;
  /** File work waiting beyond this is refused (503) rather than queued without bound. */
  private static final int DISK_QUEUE = 4096;
  /** Threads hashing stored blobs that clients wait for. */
  private static final int HASHING_THREADS = 2;
  /** Stored blobs kept open for sendfile (repeated hits open nothing). */
  private static final int OPEN_FILES = 512;

  private final CacheConfig config;
  private final PrometheusMeterRegistry prometheus;
  private final CacheMetrics metrics;
  private final ExecutorService io;
  /** Blocking file work of requests (opening blobs, loading small ones): never on an event loop. */
  private final ThreadPoolExecutor disk;
  private final OpenBlobFiles files;
  private final ScheduledExecutorService maintenance;
  /** Hashes stored blobs clients wait for. */
  private final ThreadPoolExecutor hashing;
  /** Hashes stored blobs in the background, at a bounded rate. */
  private final ScheduledExecutorService scanner;
  private final Storage storage;
  private final BlobIndex index;
  /** Event loops of the server and of blob downloads from upstream. */
  private final EventLoops loops;
  private final UpstreamClient upstream;
  private final AccessLog accessLog;
  private final CacheServer server;
  /** The peer endpoint and what keeps the list of peers, or null when this cache asks none. */
  private final PeerEndpoint peers;
  private final AdminServer admin;
  /** The metrics port off the loopback, or null. */
  private final MetricsServer metricsServer;
  private volatile boolean ready;
  private volatile Supplier<String> statusDetail = () -> "";

  /** How often the storage directories are checked and a write is probed. */
  private static final long STORAGE_CHECK_SECONDS = 10;

  private CacheApplication(CacheConfig config, MetricsServer.Settings metricsSettings,
      UnaryOperator<BlobStore> wrapStore)
      throws IOException, InterruptedException {
    this.config = config;
    long t0 = System.nanoTime();
    prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    metrics = new CacheMetrics(prometheus, CacheContext.byName(config).keySet());
    io = Executors.newCachedThreadPool(daemon("cache-io"));
    disk = new ThreadPoolExecutor(DISK_THREADS, DISK_THREADS, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(DISK_QUEUE), daemon("cache-disk"));
    disk.allowCoreThreadTimeOut(true);
    maintenance = Executors.newSingleThreadScheduledExecutor(daemon("cache-maintenance"));
    hashing = new ThreadPoolExecutor(HASHING_THREADS, HASHING_THREADS, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(DISK_QUEUE), daemon("cache-verify"));
    hashing.allowCoreThreadTimeOut(true);
    scanner = Executors.newSingleThreadScheduledExecutor(daemon("cache-verify-scan"));

    storage = Storage.open(config.storagePath(), config.maxSizeBytes(), config.minFreeBytes(), wrapStore);
    index = storage.index();
    TagStore tags = storage.tags();
    loops = EventLoops.create(Runtime.getRuntime().availableProcessors());
    upstream = new UpstreamClient(config, metrics, io, loops.group(), loops.socketType());

    BlobService blobService = new BlobService(config, storage.blobs(), index, upstream, metrics, maintenance, io,
        () -> maintenance.execute(storage::evict), storage.health());
    ManifestService manifestService = new ManifestService(config, storage.manifests(), tags, upstream, metrics, io,
        storage.health(), storage.privateDigests());
    PrivateAccess privacy = new PrivateAccess(upstream, storage.privateDigests(), metrics);

    metrics.gauge("store_size_bytes", "Bytes of blobs, manifests, tags and their directories on disk",
        index, BlobIndex::totalBytes);
    metrics.gauge("store_blobs", "Blobs and manifests on disk", index, BlobIndex::count);
    metrics.gauge("store_reserved_bytes", "Room promised to blob downloads in progress", index,
        BlobIndex::reservedBytes);
    metrics.gauge("store_limit_bytes", "Configured maximum store size", config, CacheConfig::maxSizeBytes);
    metrics.gauge("downloads_in_flight", "Blobs being fetched from upstream", blobService, BlobService::inFlightCount);
    metrics.functionCounter("evictions", "Blobs evicted to stay within the limits", index, BlobIndex::evictions);
    StorageHealth health = storage.health();
    for (StorageHealth.Problem p : StorageHealth.Problem.values()) {
      metrics.functionCounter("store_write_failures", "Writes to the storage that failed, by what went wrong",
          health, h -> h.failures(p), "reason", p.label());
    }
    ContentVerifier verifier = new ContentVerifier(index, hashing);
    for (String reason : new String[] {"size", "digest", "unreadable"}) {
      metrics.functionCounter("store_corrupt", "Stored blobs found not to be their blob and dropped", index,
          i -> i.corruptions(reason), "reason", reason);
    }
    metrics.functionCounter("store_verified_bytes", "Bytes of stored blobs hashed to check them", verifier,
        ContentVerifier::hashedBytes);
    metrics.gauge("store_unverified_blobs", "Stored blobs not yet checked against their digest since the start",
        index, BlobIndex::unverified);
    metrics.gauge("store_writable", "1 while the storage takes writes, 0 while writes fail", health,
        h -> h.writable() ? 1 : 0);
    metrics.gauge("store_disk_usable_bytes", "Usable bytes on the storage's file system", storage, s -> {
      DiskUsage d = s.diskUsage();
      return d == null ? Double.NaN : d.usableBytes();
    });

    accessLog = config.accessLog() ? new AccessLog() : null;
    if (accessLog != null) {
      metrics.functionCounter("access_log_dropped", "Access-log lines dropped because stdout could not keep up",
          accessLog, AccessLog::dropped);
    }
    HotContent hot = new HotContent(HOT_CONTENT_BYTES);
    metrics.gauge("memory_cache_bytes", "Small blobs and manifests held in memory", hot, HotContent::usedBytes);
    files = new OpenBlobFiles(OPEN_FILES, disk);
    index.onEviction(files::close);
    index.onEviction(storage.privateDigests()::unmark); // fetched again, it is marked again first
    Map<String, RegistryConfig> byName = CacheContext.byName(config);
    CacheContext ctx = new CacheContext(config, byName,
        new DistributionPathParser(byName::containsKey, config.defaultRegistry()),
        blobService, manifestService, privacy, tags, upstream, metrics, accessLog, hot, files, verifier, io, disk);
    try {
      server = new CacheServer(config.listen(), ctx, loops);
    } catch (IOException | InterruptedException e) {
      upstream.close();
      loops.close();
      stopThreads();
      throw e;
    }
    try {
      peers = config.peers() == null ? null : PeerEndpoint.start(config.peers(), ctx, loops, maintenance, io);
    } catch (IOException | InterruptedException | RuntimeException e) {
      server.close();
      upstream.close();
      loops.close();
      stopThreads();
      throw e;
    }
    if (peers != null) {
      blobService.usePeers(peers.peers());
      manifestService.usePeers(peers.peers());
      metrics.gauge("peers", "Ready caches of the same RegistryCache this one knows (itself included)",
          peers.peers().directory(), d -> d.all().size());
    }
    AdminServer a;
    try {
      a = new AdminServer(config.adminListen(), prometheus,
          () -> ready, this::readyDetail, this::status);
    } catch (IOException e) {
      server.close();
      upstream.close();
      loops.close();
      stopThreads();
      throw new IOException("cannot listen on " + config.adminListen() + " (admin): " + e.getMessage(), e);
    }
    admin = a;
    MetricsServer m = null;
    if (metricsSettings != null) {
      try {
        m = new MetricsServer(metricsSettings, loops, this::scrape, io);
      } catch (IOException e) {
        admin.close();
        server.close();
        stopWorkers();
        throw e;
      }
    }
    metricsServer = m;
    maintenance.scheduleWithFixedDelay(index::persistLastUse, 5, 5, TimeUnit.MINUTES);
    maintenance.scheduleWithFixedDelay(storage::check, STORAGE_CHECK_SECONDS, STORAGE_CHECK_SECONDS, TimeUnit.SECONDS);
    maintenance.execute(storage::evict);
    scanStoredBlobs(verifier);
    ready = true;
    LOG.info("ready in {} ms; admin (metrics, healthz, readyz) on {}",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), admin.address());
  }

  /** When starting fails half-way: the upstream client, event loops and executors go. */
  private void stopWorkers() {
    upstream.close();
    loops.close();
    maintenance.shutdownNow();
    io.shutdownNow();
    disk.shutdownNow();
  }

  public static CacheApplication start(CacheConfig config) throws IOException, InterruptedException {
    return start(config, null, UnaryOperator.identity());
  }

  /** @param metrics where to serve {@code /metrics} off the loopback as well, or {@code null} */
  public static CacheApplication start(CacheConfig config, MetricsServer.Settings metrics)
      throws IOException, InterruptedException {
    return start(config, metrics, UnaryOperator.identity());
  }

  /**
   * Starts the cache on a blob store that {@code wrapStore} may put something around (to watch
   * or fail its writes, as tests of broken disks do).
   */
  public static CacheApplication start(CacheConfig config, UnaryOperator<BlobStore> wrapStore)
      throws IOException, InterruptedException {
    return start(config, null, wrapStore);
  }

  private static CacheApplication start(CacheConfig config, MetricsServer.Settings metrics,
      UnaryOperator<BlobStore> wrapStore)
      throws IOException, InterruptedException {
    LOG.info("registry-cache starting: {}", config.describe());
    for (RegistryConfig r : config.registries()) {
      LOG.info("  mirroring {}", r.describe());
    }
    return new CacheApplication(config, metrics, wrapStore);
  }

  /** The Prometheus text of the meters named (every meter for an empty set). */
  private String scrape(java.util.Set<String> names) {
    return prometheus.scrape(MetricsRequestHandler.CONTENT_TYPE, names.isEmpty() ? null : names);
  }

  /** Hashes what is on disk in the background: once now, then every interval. */
  private void scanStoredBlobs(ContentVerifier verifier) {
    StorageScan scan = config.scan();
    if (!scan.enabled()) {
      return;
    }
    BooleanSupplier stop = () -> Thread.currentThread().isInterrupted();
    scanner.execute(() -> verifier.scan(false, scan.bytesPerSecond(), stop));
    if (!scan.interval().isZero()) {
      long every = scan.interval().toSeconds();
      scanner.scheduleWithFixedDelay(() -> verifier.scan(true, scan.bytesPerSecond(), stop), every, every,
          TimeUnit.SECONDS);
    }
  }

  /** What {@code /readyz} adds to "ready": the node's state, and a storage that takes no writes. */
  private String readyDetail() {
    String node = statusDetail.get();
    String disk = storage.health().problem();
    return node.isEmpty() ? disk : disk.isEmpty() ? node : node + "; " + disk;
  }

  /** What {@code /status} shows below "ready" or "not ready". */
  private String status() {
    String node = statusDetail.get();
    return (node.isEmpty() ? "" : node + "\n") + storage.status();
  }

  public InetSocketAddress address() {
    return server.address();
  }

  public InetSocketAddress adminAddress() {
    return admin.address();
  }

  /** The metrics port off the loopback, or null when there is none. */
  public MetricsServer metricsServer() {
    return metricsServer;
  }

  public CacheMetrics metrics() {
    return metrics;
  }

  public BlobIndex index() {
    return index;
  }

  public Storage storage() {
    return storage;
  }

  /**
   * What {@code /status} (and {@code /readyz}) also say, e.g. where the node's mirror entries
   * stand. It does not decide readiness: ready means the cache serves, so a node whose runtime
   * cannot be configured never holds up a rollout elsewhere (the pod's NodeConfigured condition
   * says it to the operator).
   */
  public void setStatusDetail(Supplier<String> detail) {
    this.statusDetail = detail;
  }

  public boolean isReady() {
    return ready;
  }

  /** How long answers in progress may take to finish when the cache stops, unless told otherwise. */
  public static final Duration DRAIN = Duration.ofSeconds(10);

  @Override
  public void close() {
    close(DRAIN);
  }

  /**
   * Stops: no new connections, answers in progress get at most {@code drain} to finish, then
   * everything is closed.
   */
  public void close(Duration drain) {
    ready = false;
    if (peers != null) {
      peers.close(drain);
    }
    server.close(drain);
    upstream.close();
    if (metricsServer != null) {
      metricsServer.close();
    }
    loops.close();
    admin.close();
    stopThreads();
    files.closeAll();
    index.persistLastUse();
    if (accessLog != null) {
      accessLog.close();
    }
    LOG.info("registry-cache stopped");
  }

  private void stopThreads() {
    maintenance.shutdownNow();
    scanner.shutdownNow();
    hashing.shutdownNow();
    io.shutdownNow();
    disk.shutdownNow();
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
