package dev.registrycache.operator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.registrycache.api.v1alpha1.RegistryCacheSpec;
import dev.registrycache.api.v1alpha1.RegistrySpec;
import dev.registrycache.api.v1alpha1.UpstreamProxySpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The cache's config file for a RegistryCache (the format {@code cache --config} reads) and the
 * Secret data it refers to. Passwords only ever go into the Secret, as files the cache reads
 * ({@code passwordFile}); the config names them.
 */
public final class CacheConfigModel {
  /** Where the pods see the node's storage directory, the config and the credentials. */
  public static final String STORAGE_MOUNT = "/var/lib/registry-cache";
  public static final String CONFIG_MOUNT = "/etc/registry-cache";
  public static final String CREDENTIALS_MOUNT = "/etc/registry-cache-credentials";
  static final String DOCKER_HUB = "docker.io";
  /** The proxy's password in the credentials Secret. */
  static final String PROXY_PASSWORD = "upstream-proxy.password";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private final String configYaml;
  private final Map<String, String> secretData;

  private CacheConfigModel(String configYaml, Map<String, String> secretData) {
    this.configYaml = configYaml;
    this.secretData = secretData;
  }

  /**
   * @param credentials username and password per registry name, for the registries that have
   *     a {@code credentialsSecretRef}
   */
  public static CacheConfigModel of(RegistryCacheSpec spec, Map<String, RegistryCredentials> credentials) {
    return of(spec, credentials, null);
  }

  /** @param proxyCredentials what the upstream proxy asks for, or {@code null} */
  public static CacheConfigModel of(RegistryCacheSpec spec, Map<String, RegistryCredentials> credentials,
      RegistryCredentials proxyCredentials) {
    return of(spec, credentials, proxyCredentials, null, null);
  }

  /**
   * @param peerTokens the token the caches share (and the one before), or {@code null} when they
   *     do not ask each other
   * @param peerService the headless Service whose EndpointSlices list the ready caches
   */
  public static CacheConfigModel of(RegistryCacheSpec spec, Map<String, RegistryCredentials> credentials,
      RegistryCredentials proxyCredentials, PeerTokens peerTokens, String peerService) {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("listen", "127.0.0.1:" + spec.port);
    config.put("adminListen", "127.0.0.1:" + spec.adminPort);
    Map<String, Object> storage = new LinkedHashMap<>();
    storage.put("path", STORAGE_MOUNT);
    if (spec.storage != null && spec.storage.maxSize != null) {
      storage.put("maxSize", spec.storage.maxSize);
    }
    if (spec.storage != null && spec.storage.minFreeSpace != null) {
      storage.put("minFreeSpace", spec.storage.minFreeSpace);
    }
    config.put("storage", storage);
    Map<String, String> secret = new TreeMap<>();
    if (spec.registries != null && !spec.registries.isEmpty()) {
      List<Map<String, Object>> regs = new ArrayList<>();
      for (int i = 0; i < spec.registries.size(); i++) {
        RegistrySpec r = spec.registries.get(i);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", r.name);
        if (r.url != null) {
          m.put("url", r.url);
        }
        if (r.tagTtl != null) {
          m.put("tagTtl", r.tagTtl);
        }
        if (r.privateContent != null) {
          m.put("privateContent", r.privateContent);
        }
        RegistryCredentials c = credentials.get(r.name);
        if (c != null) {
          String key = "registry-" + i + ".password";
          m.put("username", c.username());
          m.put("passwordFile", CREDENTIALS_MOUNT + "/" + key);
          secret.put(key, c.password());
        }
        regs.add(m);
      }
      config.put("registries", regs);
      if (spec.registries.stream().noneMatch(r -> DOCKER_HUB.equals(r.name))) {
        // the cache's default (docker.io) must be among its registries; requests that name
        // none (Docker's registry-mirrors) go to the first one instead
        config.put("defaultRegistry", spec.registries.get(0).name);
      }
    }
    UpstreamProxySpec proxy = spec.upstreamProxy;
    if (proxy != null) {
      Map<String, Object> p = new LinkedHashMap<>();
      putIfSet(p, "httpsProxy", proxy.httpsProxy);
      putIfSet(p, "httpProxy", proxy.httpProxy);
      putIfSet(p, "noProxy", proxy.noProxy);
      if (proxyCredentials != null) {
        p.put("username", proxyCredentials.username());
        p.put("passwordFile", CREDENTIALS_MOUNT + "/" + PROXY_PASSWORD);
        secret.put(PROXY_PASSWORD, proxyCredentials.password());
      }
      if (!p.isEmpty()) {
        config.put("upstreamProxy", p);
      }
    }
    if (peerTokens != null && spec.peers != null) {
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("port", spec.peers.port);
      p.put("service", peerService);
      p.put("tokenFile", CREDENTIALS_MOUNT + "/" + PeerTokens.TOKEN);
      p.put("previousTokenFile", CREDENTIALS_MOUNT + "/" + PeerTokens.PREVIOUS);
      p.put("connectTimeout", spec.peers.connectTimeout);
      config.put("peers", p);
      secret.putAll(peerTokens.data());
    }
    try {
      return new CacheConfigModel(YAML.writeValueAsString(config), secret);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render the cache config", e);
    }
  }

  private static void putIfSet(Map<String, Object> m, String key, String value) {
    if (value != null && !value.isBlank()) {
      m.put(key, value);
    }
  }

  public String configYaml() {
    return configYaml;
  }

  /** File name to password, for the credentials Secret (empty when no registry has credentials). */
  public Map<String, String> secretData() {
    return secretData;
  }

  /**
   * Changes whenever the config changes: on the pod template, it rolls the pods. Passwords are
   * not part of it (nor of anything else anyone may read): the caches read them from their files
   * on every use, and the kubelet updates those files in place when the Secret changes, so a
   * rotation reaches every node without a restart.
   */
  public String hash() {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(configYaml.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(md.digest(), 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
