package dev.registrycache.node;

/**
 * The {@code /etc/docker/daemon.json} setting that would send Docker Hub pulls of a Docker Engine
 * node through the cache. registry-cache never writes {@code daemon.json} (Docker reads it only when
 * the daemon starts, and restarting the runtime is the administrator's decision); this text is for
 * logs and documentation.
 *
 * <p>Docker mirrors Docker Hub only and sends plain {@code /v2/<repository>/...} requests to a
 * mirror (no registry hint); a mirror URL with a path is rejected by the daemon. Docker treats
 * {@code 127.0.0.0/8} as an insecure registry by default, so plain HTTP on loopback needs no
 * {@code insecure-registries} entry.
 */
public final class DockerDaemonSnippet {
  private DockerDaemonSnippet() {}

  /** JSON object to merge into {@code daemon.json}, e.g. {@code {"registry-mirrors": ["http://127.0.0.1:5000"]}}. */
  public static String json(String cacheEndpoint) {
    return "{\n  \"registry-mirrors\": [\"http://" + cacheEndpoint + "\"]\n}\n";
  }

  /** One log line telling the administrator the manual step. */
  public static String instructions(String cacheEndpoint) {
    return "Docker Engine is not configured automatically: add \"registry-mirrors\": [\"http://" + cacheEndpoint
        + "\"] to /etc/docker/daemon.json and restart dockerd (Docker Hub images only)";
  }
}
