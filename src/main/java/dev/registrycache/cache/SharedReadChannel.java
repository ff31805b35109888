package dev.registrycache.cache;

import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * A read channel on a download's temp file that every client reading along shares instead of
 * each opening the file: counted, and closed when the last holder lets go. Reading goes by
 * explicit positions only ({@code sendfile}), so readers never disturb each other.
 */
final class SharedReadChannel {
  private FileChannel channel;
  private int holders = 1; // the download's own

  SharedReadChannel(FileChannel channel) {
    this.channel = channel;
  }

  /** The channel, counted for the caller; null once it was closed. */
  synchronized FileChannel retain() {
    if (channel == null) {
      return null;
    }
    holders++;
    return channel;
  }

  /** Lets go of one hold; the last one out closes the channel. */
  void release() {
    FileChannel close = null;
    synchronized (this) {
      if (holders > 0 && --holders == 0) {
        close = channel;
        channel = null;
      }
    }
    if (close != null) {
      closeQuietly(close);
    }
  }

  static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // a read-only channel: nothing is lost
    }
  }
}
