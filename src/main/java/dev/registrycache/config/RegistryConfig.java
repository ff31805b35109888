package dev.registrycache.config;

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
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record RegistryConfig(
    String name, String url, String username, String password, String passwordFile, String tagTtl,
    String caFile, Boolean insecureSkipVerify) {

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
        + ", tagTtl=" + tagTtl + ", caFile=" + caFile + ", insecureSkipVerify=" + insecureSkipVerify + "]";
  }

  /** A copy safe to log: the password replaced. */
  public String describe() {
    return name + " -> " + url + (username != null ? " (user " + username + ")" : "");
  }
}
