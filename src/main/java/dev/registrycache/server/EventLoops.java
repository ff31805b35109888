package dev.registrycache.server;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * The cache's event loops, shared by the client-facing server and the upstream connections that
 * download blobs: epoll ({@code sendfile}) when the platform has it, NIO otherwise.
 */
record EventLoops(EventLoopGroup group, Class<? extends ServerChannel> serverType,
    Class<? extends SocketChannel> socketType, boolean epoll) implements AutoCloseable {

  static EventLoops create(int threads) {
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    return new EventLoops(new MultiThreadIoEventLoopGroup(threads, io),
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class,
        epoll ? EpollSocketChannel.class : NioSocketChannel.class, epoll);
  }

  String describe() {
    return epoll ? "epoll + sendfile" : "nio: " + Epoll.unavailabilityCause();
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
