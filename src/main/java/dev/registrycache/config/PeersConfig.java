package dev.registrycache.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The peer endpoint and how the caches of one RegistryCache find each other (see docs/cache.md,
 * "One fetch per blob for the cluster").
 *
 * @param listen where the peer endpoint listens: this node's address (the pod IP under
 *     hostNetwork), never the loopback the runtimes use
 * @param service the headless Service whose EndpointSlices list the ready caches (Kubernetes), or null
 * @param namespace the namespace of {@code service}
 * @param peersFile a file listing the peers instead (one {@code name host:port [zone]} a line;
 *     read again when it changes), or null
 * @param tokenFile the token the caches share (sent and accepted)
 * @param previousTokenFile the token it replaced, still accepted while the rotation reaches every node
 * @param connectTimeout how long a peer may take to accept a connection
 * @param skipFor how long a peer that did not answer is skipped
 */
public record PeersConfig(HostPort listen, String service, String namespace, Path peersFile, Path tokenFile,
    Path previousTokenFile, Duration connectTimeout, Duration skipFor) {
  public static final Duration DEFAULT_SKIP = Duration.ofSeconds(30);

  public String describe() {
    return "peers on " + listen + " from " + (peersFile != null ? peersFile : "Service " + namespace + "/" + service)
        + ", connect timeout " + connectTimeout.toMillis() + "ms";
  }
}
