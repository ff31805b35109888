package dev.registrycache.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the effective {@link CacheConfig}: the embedded {@code default-config.yaml}, then the
 * user's file (YAML or JSON; a {@code registries} list there replaces the default list), then
 * overrides from flags and environment variables.
 */
public final class ConfigLoader {
  public static final String EMBEDDED = "/default-config.yaml";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** Values given on the command line or in the environment; null means "not given". */
  public record Overrides(
      String listen, String adminListen, String storagePath, String maxSize, Boolean accessLog,
      List<String> registries, String headerTimeout, Integer maxConnections) {
    public Overrides(String listen, String adminListen, String storagePath, String maxSize, Boolean accessLog,
        List<String> registries) {
      this(listen, adminListen, storagePath, maxSize, accessLog, registries, null, null);
    }

    public static Overrides none() {
      return new Overrides(null, null, null, null, null, List.of());
    }
  }

  private ConfigLoader() {}

  public static CacheConfig load(Path file, Overrides overrides) {
    return load(file, overrides, System.getenv());
  }

  /** @param env the environment (proxy variables, the pod's address and namespace) */
  public static CacheConfig load(Path file, Overrides overrides, Map<String, String> env) {
    ConfigFile defaults;
    try (InputStream in = ConfigLoader.class.getResourceAsStream(EMBEDDED)) {
      defaults = YAML.readValue(in, ConfigFile.class);
    } catch (IOException e) {
      throw new IllegalStateException("embedded default config unreadable", e);
    }
    ConfigFile user = null;
    if (file != null) {
      try {
        user = YAML.readValue(Files.readAllBytes(file), ConfigFile.class);
      } catch (UnrecognizedPropertyException e) {
        throw new IllegalArgumentException(file + ": unknown setting '" + e.getPropertyName()
            + "' (known: " + e.getKnownPropertyIds() + ")");
      } catch (IOException e) {
        throw new IllegalArgumentException(file + ": " + e.getMessage());
      }
    }
    return merge(defaults, user, overrides, env);
  }

  static CacheConfig merge(ConfigFile d, ConfigFile u, Overrides o) {
    return merge(d, u, o, System.getenv());
  }

  static CacheConfig merge(ConfigFile d, ConfigFile u, Overrides o, Map<String, String> env) {
    ConfigFile.Storage ds = d.storage();
    ConfigFile.Storage us = u == null || u.storage() == null ? null : u.storage();
    ConfigFile.Tags ut = u == null ? null : u.tags();
    ConfigFile.Timeouts uto = u == null ? null : u.timeouts();

    String listen = pick(o.listen(), u == null ? null : u.listen(), d.listen());
    String admin = pick(o.adminListen(), u == null ? null : u.adminListen(), d.adminListen());
    String storage = pick(o.storagePath(), us == null ? null : us.path(), ds.path());
    String maxSize = pick(o.maxSize(), us == null ? null : us.maxSize(), ds.maxSize());
    String minFree = pick(null, us == null ? null : us.minFreeSpace(), ds.minFreeSpace());
    StorageScan scan = new StorageScan(
        Sizes.parseBytes(pick(null, us == null ? null : us.verifyRate(), ds.verifyRate())),
        Sizes.parseDuration(pick(null, us == null ? null : us.verifyInterval(), ds.verifyInterval())));
    String ttl = pick(null, ut == null ? null : ut.ttl(), d.tags().ttl());
    String negTtl = pick(null, ut == null ? null : ut.negativeTtl(), d.tags().negativeTtl());
    String connect = pick(null, uto == null ? null : uto.connect(), d.timeouts().connect());
    String response = pick(null, uto == null ? null : uto.response(), d.timeouts().response());
    String idle = pick(null, uto == null ? null : uto.idle(), d.timeouts().idle());
    MinSpeed minSpeed = new MinSpeed(
        Sizes.parseBytes(pick(null, uto == null ? null : uto.minSpeed(), d.timeouts().minSpeed())),
        Sizes.parseDuration(pick(null, uto == null ? null : uto.minSpeedTime(), d.timeouts().minSpeedTime())));
    Boolean accessLog = o.accessLog() != null ? o.accessLog()
        : u != null && u.accessLog() != null ? u.accessLog() : d.accessLog();
    String defaultRegistry = pick(null, u == null ? null : u.defaultRegistry(), d.defaultRegistry());
    ConfigFile.Clients uc = u == null ? null : u.clients();
    ClientLimits clients = new ClientLimits(
        Sizes.parseDuration(pick(o.headerTimeout(), uc == null ? null : uc.headerTimeout(), d.clients().headerTimeout())),
        Sizes.parseDuration(pick(null, uc == null ? null : uc.sendTimeout(), d.clients().sendTimeout())),
        o.maxConnections() != null ? o.maxConnections()
            : uc != null && uc.maxConnections() != null ? uc.maxConnections() : d.clients().maxConnections());

    Map<String, RegistryConfig> regs = new LinkedHashMap<>();
    List<RegistryConfig> base = u != null && u.registries() != null ? u.registries() : d.registries();
    for (RegistryConfig r : base) {
      if (regs.put(r.name(), r) != null) {
        throw new IllegalArgumentException("registry " + r.name() + " is configured twice");
      }
    }
    for (String spec : o.registries()) {
      int eq = spec.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--registry wants NAME=URL, got " + spec);
      }
      String name = spec.substring(0, eq);
      RegistryConfig old = regs.get(name);
      regs.put(name, new RegistryConfig(name, spec.substring(eq + 1),
          old == null ? null : old.username(), old == null ? null : old.password(),
          old == null ? null : old.passwordFile(), old == null ? null : old.tagTtl(),
          old == null ? null : old.caFile(), old == null ? null : old.insecureSkipVerify()));
    }
    if (!regs.containsKey(defaultRegistry)) {
      throw new IllegalArgumentException("defaultRegistry " + defaultRegistry + " is not among the registries " + regs.keySet());
    }
    Path storagePath = Path.of(expandHome(storage));
    return new CacheConfig(HostPort.parse(listen), HostPort.parse(admin), storagePath,
        bytes("storage.maxSize", maxSize), bytes("storage.minFreeSpace", minFree), Sizes.parseDuration(ttl),
        Sizes.parseDuration(negTtl), Sizes.parseDuration(connect), Sizes.parseDuration(response),
        Sizes.parseDuration(idle), accessLog, defaultRegistry, new ArrayList<>(regs.values()),
        UpstreamProxy.resolve(u == null ? null : u.upstreamProxy(), env), clients, minSpeed, scan,
        peers(u == null ? null : u.peers(), env));
  }

  /** The peer endpoint, or null when the file names none. */
  static PeersConfig peers(ConfigFile.Peers p, Map<String, String> env) {
    if (p == null || p.port() == null) {
      return null;
    }
    String address = pick(p.address(), env.get("REGISTRY_CACHE_POD_IP"));
    if (address == null) {
      throw new IllegalArgumentException("peers: no address to listen on (peers.address, or REGISTRY_CACHE_POD_IP)");
    }
    if (p.file() == null && p.service() == null) {
      throw new IllegalArgumentException("peers: neither a Service (peers.service) nor a file (peers.file) lists them");
    }
    if (p.tokenFile() == null) {
      throw new IllegalArgumentException("peers: no tokenFile: the peer endpoint is never open without one");
    }
    return new PeersConfig(new HostPort(address, p.port()), p.service(),
        pick(p.namespace(), env.get("REGISTRY_CACHE_POD_NAMESPACE")), p.file() == null ? null : Path.of(p.file()),
        Path.of(p.tokenFile()), p.previousTokenFile() == null ? null : Path.of(p.previousTokenFile()),
        Sizes.parseDuration(p.connectTimeout() == null ? "50ms" : p.connectTimeout()), PeersConfig.DEFAULT_SKIP);
  }

  private static long bytes(String key, String size) {
    try {
      return Sizes.parseBytes(size);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
    }
  }

  private static String expandHome(String p) {
    return p.startsWith("~/") ? System.getProperty("user.home") + p.substring(1) : p;
  }

  private static String pick(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return null;
  }
}
