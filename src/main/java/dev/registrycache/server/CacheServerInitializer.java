package dev.registrycache.server;

import dev.registrycache.config.ClientLimits;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/** Orders the pipeline of one client connection; the logic lives in the handlers. */
final class CacheServerInitializer extends ChannelInitializer<SocketChannel> {
  static final String CODEC = "http-codec";
  static final int MAX_LINE_BYTES = 8192;
  static final int MAX_HEADER_BYTES = 16384;
  static final String HEADER_TIMEOUT = "header-timeout";
  static final String IDLE = "idle";
  static final String IDLE_CLOSER = "idle-closer";
  static final String HANDLER = "registry";

  private final CacheContext cache;
  private final ChannelGroup connections;
  private final ConnectionLimit limit;
  private final ClientLimits clients;
  private final PeerGate peers;

  CacheServerInitializer(CacheContext cache, ChannelGroup connections, ConnectionLimit limit, PeerGate peers) {
    this.cache = cache;
    this.peers = peers;
    this.connections = connections;
    this.limit = limit;
    this.clients = cache.config().clients();
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    if (!limit.admit(ch)) {
      return; // answered 503 and closed
    }
    connections.add(ch); // removed by the group itself when the channel closes
    ChannelPipeline p = ch.pipeline();
    p.addLast(CODEC, new HttpServerCodec(MAX_LINE_BYTES, MAX_HEADER_BYTES, 8192));
    p.addLast(HEADER_TIMEOUT, new HeaderTimeout(clients.headerTimeout(), cache.metrics()));
    // an answer counts as progressing while the client takes its bytes, however slowly
    p.addLast(IDLE, new IdleStateHandler(true, 0, 0, clients.sendTimeout().toMillis(), TimeUnit.MILLISECONDS));
    p.addLast(IDLE_CLOSER, new IdleCloser(() -> cache.metrics().connectionClosed("send-timeout")));
    p.addLast(HANDLER, new RegistryRequestHandler(cache, peers));
  }

  /** Closes connections whose answer made no progress, and that sent nothing, for the send timeout. */
  static final class IdleCloser extends ChannelDuplexHandler {
    private final Runnable onClose;

    /** @param onClose what to count when an idle connection is closed */
    IdleCloser(Runnable onClose) {
      this.onClose = onClose;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof IdleStateEvent) {
        onClose.run();
        ctx.close();
      } else {
        super.userEventTriggered(ctx, evt);
      }
    }
  }
}
