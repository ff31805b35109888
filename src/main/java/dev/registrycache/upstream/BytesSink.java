package dev.registrycache.upstream;

import java.net.http.HttpResponse.ResponseInfo;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;

/**
 * Keeps a small body (a manifest, a tag list, a token answer) in memory, up to a limit: a body
 * that announces or reaches more than the limit is not read any further, its transfer is
 * cancelled and {@link #tooLarge()} says so. Whatever upstream sends, no more than the limit is
 * ever held.
 */
final class BytesSink implements BodySink {
  private final int limit;
  private final Duration bodyTimeout;
  private byte[] bytes = new byte[0];
  private int length;
  private boolean tooLarge;
  private Transfer transfer;

  /** @param bodyTimeout how long the body may take after the headers (an upstream may not trickle) */
  BytesSink(int limit, Duration bodyTimeout) {
    this.limit = limit;
    this.bodyTimeout = bodyTimeout;
  }

  @Override
  public Duration bodyTimeout() {
    return bodyTimeout;
  }

  /** This sink for an answer, sized by its {@code Content-Length} when it has one. */
  BodySink forAnswer(ResponseInfo info) {
    long announced = info.headers().firstValueAsLong("Content-Length").orElse(-1);
    if (announced > limit) {
      tooLarge = true;
    } else if (announced > 0) {
      bytes = new byte[(int) announced];
    }
    return this;
  }

  @Override
  public void onStart(Transfer transfer) {
    this.transfer = transfer;
    if (tooLarge) {
      transfer.cancel();
    }
  }

  @Override
  public void onData(ByteBuffer data) {
    if (tooLarge) {
      return;
    }
    int n = data.remaining();
    if (length + n > limit) {
      tooLarge = true;
      bytes = null;
      transfer.cancel();
      return;
    }
    if (length + n > bytes.length) {
      bytes = Arrays.copyOf(bytes, (int) Math.min(limit, Math.max(length + n, 2L * bytes.length + 8192)));
    }
    data.get(bytes, length, n);
    length += n;
  }

  @Override
  public void onComplete() {
    // the caller reads the bytes once the exchange has completed
  }

  @Override
  public void onError(Throwable cause) {
    // the exchange fails with the cause; nothing of the body is used
  }

  /** More than the limit was announced or sent; {@link #bytes()} is then empty. */
  boolean tooLarge() {
    return tooLarge;
  }

  /** The body received; empty when there was none (not a 2xx answer, a HEAD) or it was too large. */
  byte[] bytes() {
    return tooLarge || bytes == null ? new byte[0] : length == bytes.length ? bytes : Arrays.copyOf(bytes, length);
  }
}
