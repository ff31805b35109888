package dev.registrycache.server;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import java.util.concurrent.TimeUnit;

/** Orders the pipeline of one client connection; the logic lives in the handlers. */
final class CacheServerInitializer extends ChannelInitializer<SocketChannel> {
  static final String CODEC = "http-codec";
  static final int MAX_LINE_BYTES = 8192;
  static final int MAX_HEADER_BYTES = 16384;
  static final String IDLE = "idle";
  static final String IDLE_CLOSER = "idle-closer";
  static final String HANDLER = "registry";
  /** Keep-alive connections with nothing in flight are closed after this long. */
  static final long IDLE_SECONDS = 300;

  private final CacheContext cache;
  private final ChannelGroup connections;

  CacheServerInitializer(CacheContext cache, ChannelGroup connections) {
    this.cache = cache;
    this.connections = connections;
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    connections.add(ch); // removed by the group itself when the channel closes
    ChannelPipeline p = ch.pipeline();
    p.addLast(CODEC, new HttpServerCodec(MAX_LINE_BYTES, MAX_HEADER_BYTES, 8192));
    p.addLast(IDLE, new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS));
    p.addLast(IDLE_CLOSER, new IdleCloser());
    p.addLast(HANDLER, new RegistryRequestHandler(cache));
  }

  /** Closes connections idle in both directions (a blob still being sent is not idle). */
  static final class IdleCloser extends ChannelDuplexHandler {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof IdleStateEvent) {
        ctx.close();
      } else {
        super.userEventTriggered(ctx, evt);
      }
    }
  }
}
