package dev.registrycache.upstream;

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
}
