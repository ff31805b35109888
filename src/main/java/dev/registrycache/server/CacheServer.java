package dev.registrycache.server;

import dev.registrycache.config.HostPort;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import java.io.IOException;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Binds the OCI Distribution endpoint on the cache's {@link EventLoops}. */
public final class CacheServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CacheServer.class);

  private final Channel channel;
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);

  /** Binds on {@code loops}, which the caller shuts down after {@link #close}. */
  CacheServer(HostPort listen, CacheContext cache, EventLoops loops) throws IOException, InterruptedException {
    this(listen, cache, loops, null);
  }

  /** @param peers non-null for the peer endpoint: only the caches that share its token come in */
  CacheServer(HostPort listen, CacheContext cache, EventLoops loops, PeerGate peers)
      throws IOException, InterruptedException {
    ConnectionLimit limit = new ConnectionLimit(cache.config().clients().maxConnections(), cache.metrics());
    cache.metrics().gauge("client_connections", "Client connections open", limit, ConnectionLimit::open);
    try {
      channel = new ServerBootstrap()
          .group(loops.group())
          .channel(loops.serverType())
          .option(ChannelOption.SO_BACKLOG, 1024)
          .option(ChannelOption.SO_REUSEADDR, true)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
          .childHandler(new CacheServerInitializer(cache, connections, limit, peers))
          .bind(new InetSocketAddress(listen.host(), listen.port()))
          .sync()
          .channel();
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) { // bind failures arrive as (undeclared) native IOExceptions
      throw new IOException("cannot listen on " + listen + ": " + e.getMessage(), e);
    }
    LOG.info("serving {} on {} ({} event loops, {})", peers == null ? "the OCI distribution API" : "the peers",
        address(),
        loops.group() instanceof io.netty.channel.MultithreadEventLoopGroup m ? m.executorCount() : -1,
        loops.describe());
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  @Override
  public void close() {
    close(Duration.ZERO);
  }

  /**
   * Stops accepting connections, lets answers in progress finish for at most {@code drain}
   * (a client halfway through a layer gets the rest), then closes everything.
   */
  public void close(Duration drain) {
    channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + drain.toNanos();
    int busy;
    while ((busy = busyConnections()) > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (busy > 0) {
      LOG.info("closing {} connections still answering after {} ms", busy, drain.toMillis());
    }
    connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  int busyConnections() {
    int n = 0;
    for (Channel c : connections) {
      RegistryRequestHandler h = c.pipeline().get(RegistryRequestHandler.class);
      if (h != null && h.busy()) {
        n++;
      }
    }
    return n;
  }
}
