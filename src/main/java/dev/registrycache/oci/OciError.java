package dev.registrycache.oci;

import java.util.concurrent.ThreadLocalRandom;

/**
 * An error answer: code, HTTP status and message, rendered as the spec's JSON body
 * {@code {"errors":[{"code":"...","message":"..."}]}}.
 */
public record OciError(ErrorCode code, int status, String message) {

  public OciError(ErrorCode code, String message) {
    this(code, code.status(), message);
  }

  /**
   * What a client is told about a bug or an unexpected failure: that it happened and an id
   * that the log line with the details carries too; never the exception itself.
   */
  public static OciError internal(String incidentId) {
    return new OciError(ErrorCode.UNAVAILABLE, 500,
        "internal error " + incidentId + "; the cache's log has the details under this id");
  }

  /** A short random id linking an internal error's answer to its log line. */
  public static String newIncidentId() {
    return String.format("%010x", ThreadLocalRandom.current().nextLong() & 0xff_ffff_ffffL);
  }

  public byte[] toJson() {
    return JsonBodies.error(code, message);
  }
}
