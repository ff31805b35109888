package dev.registrycache.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.net.URI;

/**
 * One mirrored registry: the name clients use ({@code quay.io}) and where we fetch from.
 *
 * @param name the registry host as it appears in image references
 * @param url the upstream base URL (scheme + host[:port]), e.g. {@code https://quay.io}
 * @param username optional user for Basic auth or the token service
 * @param password optional password (prefer {@code passwordFile})
 * @param passwordFile optional file holding the password (e.g. a mounted Kubernetes Secret)
 * @param tagTtl optional tag TTL for this registry (e.g. {@code 1m}); the global one otherwise
 * @param caFile optional PEM bundle of CAs trusted for this registry, besides the JVM's
 * @param insecureSkipVerify accept any TLS certificate from this registry (test setups only)
 * @param privateContent for a registry without credentials, what happens to content upstream
 *     does not serve anonymously: {@code verify} (the default) caches it and serves it only to a
 *     client whose own credentials upstream accepts for it; {@code bypass} leaves it alone (the
 *     client is told to authenticate, and its runtime goes to the registry itself)
 * @param callerKey set only on the copy made for one client's credentials ({@link #forCaller}):
 *     a keyed hash that tells callers apart, never read from a configuration file
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record RegistryConfig(
    String name, String url, String username, String password, String passwordFile, String tagTtl,
    String caFile, Boolean insecureSkipVerify, String privateContent, @JsonIgnore String callerKey) {

  public static final String VERIFY = "verify";
  public static final String BYPASS = "bypass";

  public RegistryConfig(String name, String url, String username, String password, String passwordFile,
      String tagTtl, String caFile, Boolean insecureSkipVerify) {
    this(name, url, username, password, passwordFile, tagTtl, caFile, insecureSkipVerify, null, null);
  }

  public RegistryConfig(String name, String url, String username, String password, String passwordFile) {
    this(name, url, username, password, passwordFile, null, null, null);
  }

  public RegistryConfig(String name, String url, String username, String password, String passwordFile,
      String tagTtl) {
    this(name, url, username, password, passwordFile, tagTtl, null, null);
  }

  public boolean skipsTlsVerification() {
    return Boolean.TRUE.equals(insecureSkipVerify);
  }

  public RegistryConfig {
    if (privateContent != null && !privateContent.equals(VERIFY) && !privateContent.equals(BYPASS)) {
      throw new IllegalArgumentException("registry " + name + ": privateContent must be " + VERIFY + " or "
          + BYPASS + ", got " + privateContent);
    }
    if (privateContent != null && username != null && callerKey == null) {
      throw new IllegalArgumentException("registry " + name + ": privateContent applies only to a registry"
          + " without credentials (with a username, everything fetched is shared by every client)");
    }
    if (tagTtl != null) {
      try {
        Sizes.parseDuration(tagTtl);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("registry " + name + ": tagTtl: " + e.getMessage());
      }
    }
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("registry without a name");
    }
    if (url == null || url.isBlank()) {
      url = name.equals("docker.io") ? "https://registry-1.docker.io" : "https://" + name;
    }
    URI u = URI.create(url);
    if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https"))
        || u.getHost() == null) {
      throw new IllegalArgumentException("registry " + name + ": url must be http(s)://host[:port], got " + url);
    }
    if (url.endsWith("/")) {
      url = url.substring(0, url.length() - 1);
    }
  }

  /**
   * Whether content upstream refuses to anonymous requests is cached, and served only to clients
   * whose own credentials upstream accepts for it: a registry without credentials of its own,
   * unless {@code privateContent: bypass}.
   */
  public boolean verifiesCallers() {
    return username == null && callerKey == null && !BYPASS.equals(privateContent);
  }

  /** Whether this copy carries one client's credentials (see {@link #forCaller}). */
  public boolean isCaller() {
    return callerKey != null;
  }

  /**
   * This registry as one client reaches it: with that client's credentials, and a key that keeps
   * its tokens apart from everyone else's.
   */
  public RegistryConfig forCaller(String user, String secret, String key) {
    return new RegistryConfig(name, url, user, secret, null, tagTtl, caFile, insecureSkipVerify, null, key);
  }

  public static RegistryConfig of(String name, String url) {
    return new RegistryConfig(name, url, null, null, null);
  }

  public URI baseUri() {
    return URI.create(url);
  }

  /** Never prints the password (records print every component by default). */
  @Override
  public String toString() {
    return "RegistryConfig[name=" + name + ", url=" + url + ", username=" + username
        + ", password=" + (password == null ? null : "<redacted>") + ", passwordFile=" + passwordFile
        + ", tagTtl=" + tagTtl + ", caFile=" + caFile + ", insecureSkipVerify=" + insecureSkipVerify
        + ", privateContent=" + privateContent + (callerKey == null ? "" : ", a client's credentials") + "]";
  }

  /** A copy safe to log: the password replaced. */
  public String describe() {
    return name + " -> " + url + (callerKey != null ? " (a client's credentials)"
        : username != null ? " (user " + username + ")" : "");
  }
}
