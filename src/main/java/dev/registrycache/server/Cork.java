package dev.registrycache.server;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;

/**
 * {@code TCP_CORK} around large bodies: headers and file data leave in full segments instead
 * of being pushed out piecemeal (TCP_NODELAY is on for small answers), which is what nginx's
 * {@code tcp_nopush} does with sendfile. A no-op off epoll.
 */
final class Cork {
  private Cork() {}

  /** @return true when the option was set */
  static boolean set(Channel ch, boolean on) {
    if (ch instanceof EpollSocketChannel e && e.isOpen()) {
      try {
        e.config().setTcpCork(on);
        return true;
      } catch (RuntimeException ignored) {
        return false; // the socket went away meanwhile
      }
    }
    return false;
  }
}
