package dev.registrycache.server;

import io.netty.channel.DefaultFileRegion;
import java.nio.channels.FileChannel;

/**
 * A {@link DefaultFileRegion} (so epoll still uses {@code sendfile}) over a file channel that
 * outlives it: a client reading along a growing blob sends many regions of one open file, and
 * closes the file itself when its answer is complete.
 */
final class SharedFileRegion extends DefaultFileRegion {
  SharedFileRegion(FileChannel file, long position, long count) {
    super(file, position, count);
  }

  @Override
  protected void deallocate() {
    // the file belongs to the caller
  }
}
