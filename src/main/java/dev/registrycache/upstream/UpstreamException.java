package dev.registrycache.upstream;

import java.net.http.HttpTimeoutException;

/**
 * An upstream could not give an answer: unreachable, timed out, refused our credentials, or
 * answered an unexpected status. {@link #status()} is the upstream's HTTP status, or 0 when
 * there was no HTTP answer at all.
 */
public class UpstreamException extends Exception {
  private final int status;

  public UpstreamException(int status, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  public UpstreamException(int status, String message) {
    this(status, message, null);
  }

  public int status() {
    return status;
  }

  /** Transient trouble for which a stale cached answer is better than none. */
  public boolean isUnavailable() {
    return status == 0 || status == 429 || status >= 500;
  }

  /** Upstream took too long: to accept the connection, to answer, or to send its answer. */
  public boolean timedOut() {
    for (Throwable c = getCause(); c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof HttpTimeoutException) {
        return true;
      }
    }
    return false;
  }

  /**
   * The status a client gets for {@code failure} when upstream gave no usable answer: {@code 504}
   * when upstream took too long, {@code 503} otherwise (unreachable, TLS, a broken connection).
   */
  public static int gatewayStatus(Throwable failure) {
    for (Throwable c = failure; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof UpstreamException u) {
        return u.timedOut() ? 504 : 503;
      }
    }
    return 503;
  }

  /** The reason label of a failure without an HTTP answer, for metrics and stale answers. */
  public String transportReason() {
    return timedOut() ? "timeout" : "unreachable";
  }
}
