package dev.registrycache.upstream;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Takes a 2xx upstream body as it arrives, on the event loop of the upstream connection. Each
 * buffer is only valid during the call: it is a view of a pooled network buffer that goes back
 * to the pool right after, so the sink copies it somewhere (a file) and never keeps it. The
 * next bytes are read only when the call has returned, so a sink never has bytes queued in
 * memory for it.
 */
public interface BodySink {
  /**
   * Called once, before any data.
   *
   * @param transfer stops, pauses and resumes the transfer; callable from any thread
   */
  void onStart(Transfer transfer);

  /** The next bytes of the body; throwing stops the transfer ({@link #onError} follows). */
  void onData(ByteBuffer bytes) throws IOException;

  /** The body ended as upstream framed it (the length is the sink's to check). */
  void onComplete();

  /** The transfer broke off (connection closed, read error, or {@link #onData} threw). */
  void onError(Throwable cause);

  /**
   * How long the whole body may take once the headers are in, or null for no limit (blob
   * downloads are watched for stalls and speed by their owner instead). A body that takes
   * longer breaks off with an {@link java.net.http.HttpTimeoutException}.
   */
  default java.time.Duration bodyTimeout() {
    return null;
  }
}
