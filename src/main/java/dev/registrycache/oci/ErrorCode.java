package dev.registrycache.oci;

/** The error codes of the OCI distribution spec, with the HTTP status we answer them with. */
public enum ErrorCode {
  BLOB_UNKNOWN(404),
  DIGEST_INVALID(400),
  MANIFEST_UNKNOWN(404),
  MANIFEST_INVALID(400),
  NAME_INVALID(400),
  NAME_UNKNOWN(404),
  RANGE_INVALID(416),
  UNAUTHORIZED(401),
  DENIED(403),
  UNSUPPORTED(405),
  TOOMANYREQUESTS(429),
  /** Not in the spec's table; used for upstream trouble (502/503/504). */
  UNAVAILABLE(503);

  private final int status;

  ErrorCode(int status) {
    this.status = status;
  }

  public int status() {
    return status;
  }
}
