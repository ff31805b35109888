package dev.registrycache.cache;

import dev.registrycache.upstream.BodySink;
import dev.registrycache.upstream.Transfer;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Stands between a blob's download and its sources, so that the bytes can come from a peer
 * first and, should the peer break off or be too slow, the rest from upstream: the download
 * sees one body. It counts the bytes passed on; the next source is asked from there (a
 * {@code Range}), and whatever of those it sends again (a source that ignores the range) is
 * skipped. The digest check at the end covers the whole, whoever sent which part.
 */
final class FailoverSink implements BodySink {
  private final BodySink download;
  private final SwitchedTransfer transfer = new SwitchedTransfer();
  private volatile boolean started;
  private volatile boolean broke;
  private volatile boolean lastSource;
  private long passed;
  private long skip;

  FailoverSink(BodySink download) {
    this.download = download;
  }

  /** Whether any body reached the download (then a next source continues where this one stopped). */
  boolean started() {
    return started;
  }

  /** Whether the current source broke off with part of the body passed on. */
  boolean broke() {
    return broke;
  }

  long passed() {
    return passed;
  }

  /**
   * The next source answered {@code status} to a request for the bytes from {@link #passed()} on;
   * when it is the {@code last} to be asked, its errors are the download's.
   */
  BodySink continueWith(int status, boolean last) {
    skip = status == 206 ? 0 : passed;
    broke = false;
    lastSource = last;
    return this;
  }

  /** The source is given up (too slow): the transfer stops, and the rest comes from the next source. */
  void abandonSource() {
    if (!lastSource) {
      transfer.cancel();
    }
  }

  @Override
  public void onStart(Transfer t) {
    transfer.to(t);
    if (!started) {
      started = true;
      download.onStart(transfer);
    }
  }

  @Override
  public void onData(ByteBuffer bytes) throws IOException {
    if (skip > 0) {
      int n = (int) Math.min(skip, bytes.remaining());
      bytes.position(bytes.position() + n);
      skip -= n;
      if (!bytes.hasRemaining()) {
        return;
      }
    }
    passed += bytes.remaining();
    download.onData(bytes);
  }

  @Override
  public void onComplete() {
    if (skip > 0) {
      onError(new IOException("the source ended before the part that was asked for"));
      return;
    }
    download.onComplete();
  }

  /** A source before the last one broke off: whoever runs the sources decides what comes next. */
  @Override
  public void onError(Throwable cause) {
    if (!lastSource) {
      broke = true;
      return;
    }
    download.onError(cause);
  }

  /** The transfer of whichever source is current, for the download to pause, resume or stop. */
  private static final class SwitchedTransfer implements Transfer {
    private volatile Transfer current = Transfer.NONE;
    private volatile boolean paused;

    void to(Transfer t) {
      current = t;
      if (paused) {
        t.pause();
      }
    }

    @Override
    public void cancel() {
      current.cancel();
    }

    @Override
    public void pause() {
      paused = true;
      current.pause();
    }

    @Override
    public void resume() {
      paused = false;
      current.resume();
    }
  }
}
