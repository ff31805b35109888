package dev.registrycache.server;

import dev.registrycache.config.HostPort;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Binds the OCI Distribution endpoint: epoll (sendfile) when available, NIO otherwise. */
public final class CacheServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CacheServer.class);

  private final EventLoopGroup group;
  private final Channel channel;
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);

  CacheServer(HostPort listen, CacheContext cache, int threads) throws IOException, InterruptedException {
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerChannel> type = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    group = new MultiThreadIoEventLoopGroup(threads, io);
    try {
      channel = new ServerBootstrap()
          .group(group)
          .channel(type)
          .option(ChannelOption.SO_BACKLOG, 1024)
          .option(ChannelOption.SO_REUSEADDR, true)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
          .childHandler(new CacheServerInitializer(cache, connections))
          .bind(new InetSocketAddress(listen.host(), listen.port()))
          .sync()
          .channel();
    } catch (InterruptedException e) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw e;
    } catch (Exception e) { // bind failures arrive as (undeclared) native IOExceptions
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw new IOException("cannot listen on " + listen + ": " + e.getMessage(), e);
    }
    LOG.info("serving the OCI distribution API on {} ({} event loops, {})", address(), threads,
        epoll ? "epoll + sendfile" : "nio: " + Epoll.unavailabilityCause());
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
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
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
