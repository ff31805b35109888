package dev.registrycache.server;

import dev.registrycache.config.PeersConfig;
import dev.registrycache.peer.EndpointSliceWatch;
import dev.registrycache.peer.PeerDirectory;
import dev.registrycache.peer.PeerFile;
import dev.registrycache.peer.PeerToken;
import dev.registrycache.peer.Peers;
import dev.registrycache.upstream.PeerTransport;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This cache among its peers: the peer endpoint (on the node's address, for the caches that
 * share its token), the list of peers (from the Kubernetes EndpointSlices of the RegistryCache,
 * or a file), and what this cache uses to ask them.
 */
final class PeerEndpoint implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PeerEndpoint.class);
  /** The peer port's name in the Service, as the operator makes it. */
  static final String PORT_NAME = "peer";

  private final Peers peers;
  private final CacheServer server;
  private final AutoCloseable discovery;

  private PeerEndpoint(Peers peers, CacheServer server, AutoCloseable discovery) {
    this.peers = peers;
    this.server = server;
    this.discovery = discovery;
  }

  static PeerEndpoint start(PeersConfig c, CacheContext ctx, EventLoops loops, ScheduledExecutorService scheduler,
      ExecutorService io) throws IOException, InterruptedException {
    PeerToken token = new PeerToken(c.tokenFile(), c.previousTokenFile(), Clock.systemUTC());
    if (token.current() == null) {
      throw new IOException("peers: no token in " + c.tokenFile() + ": the peer endpoint stays closed");
    }
    PeerDirectory directory = new PeerDirectory(c.listen().host(), Clock.systemUTC(), c.skipFor());
    PeerTransport transport = new PeerTransport(loops.group(), loops.socketType(), io, c.connectTimeout());
    Peers peers = new Peers(directory, token, transport, ctx.config().responseTimeout());
    CacheServer server = new CacheServer(c.listen(), ctx, loops, new PeerGate(token));
    AutoCloseable discovery;
    if (c.peersFile() != null) {
      PeerFile file = new PeerFile(c.peersFile(), directory::update);
      file.run();
      ScheduledFuture<?> f = scheduler.scheduleWithFixedDelay(file, 1, 1, TimeUnit.SECONDS);
      discovery = () -> f.cancel(false);
    } else {
      discovery = new EndpointSliceWatch(new KubernetesClientBuilder().build(), c.namespace(), c.service(), PORT_NAME,
          directory::update);
    }
    LOG.info("{}", c.describe());
    return new PeerEndpoint(peers, server, discovery);
  }

  Peers peers() {
    return peers;
  }

  void close(Duration drain) {
    try {
      discovery.close();
    } catch (Exception e) {
      LOG.debug("closing the peer discovery", e);
    }
    server.close(drain);
    peers.transport().close();
  }

  @Override
  public void close() {
    close(Duration.ZERO);
  }
}
