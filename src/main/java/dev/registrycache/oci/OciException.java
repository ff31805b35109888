package dev.registrycache.oci;

/** Thrown by parsing and lookups when a request must be answered with an OCI error. */
public class OciException extends RuntimeException {
  private final transient OciError error;

  public OciException(ErrorCode code, String message) {
    this(new OciError(code, message));
  }

  public OciException(OciError error) {
    super(error.message(), null, false, false);
    this.error = error;
  }

  public OciError error() {
    return error;
  }
}
